"""Complaints that are not what they seem, injected into the sample and its ground truth: floods (one customer's
many complaints within hours) and copy campaigns (one letter, lightly edited, from many different customers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from complaints_pipeline.business_calendar import is_holiday
from complaints_pipeline.reference import CATEGORIES, CHANNELS, PRODUCTS, REGIONS
from complaints_pipeline.sample_data.parameters import _MINUTE_PROFILE, BASELINE_DAYS, ZH_SHARE
from complaints_pipeline.sample_data.texts import CAMPAIGN_LETTERS

# About one flood per FLOOD_EVERY days and one campaign per CAMPAIGN_EVERY days of a range, after its baseline.
FLOOD_EVERY, CAMPAIGN_EVERY = 10, 15
FLOOD_COMPLAINTS, FLOOD_MINUTES = (8, 15), 120
CAMPAIGN_COMPLAINTS, CAMPAIGN_MINUTES = (20, 40), 360
# A copied letter is written, not spoken: campaigns come by mail, form or post.
CAMPAIGN_CHANNELS = ("email", "web", "social")
_PLAN_STREAM, SUSPECT_STREAM = 98, 4
# Not a field: the records' 5th pick set to one the writers keep the account number for (it leaves out 12-15 %).
KEEP_ACCOUNT = "keep_account"


@dataclass(frozen=True)
class Suspect:
    """`complaints` records on one channel's day from `start_minute` (local) over `minutes`: a flood is one
    customer's, a campaign one letter (CAMPAIGN_LETTERS index) from as many different customers."""

    kind: Literal["flood", "campaign"]
    channel: str
    day: dt.date
    complaints: int
    start_minute: int
    minutes: int
    letter: int = 0
    language: Literal["en", "zh"] = "en"

    def covers(self, day: dt.date) -> bool:
        return day == self.day

    def as_json(self) -> dict[str, Any]:
        found = {k: getattr(self, k) for k in ("kind", "channel", "complaints", "start_minute", "minutes")}
        found["day"] = self.day.isoformat()
        if self.kind == "campaign":
            found["category"], found["language"] = CAMPAIGN_LETTERS[self.letter][0], self.language
        return found


def choose_suspects(start: dt.date, end: dt.date, seed: int, country: str = "CN") -> list[Suspect]:
    """Floods and campaigns on seeded days after the range's baseline (holidays apart), at most one a day."""
    n_days = (end - start).days + 1
    free = [
        start + dt.timedelta(days=k)
        for k in range(BASELINE_DAYS, n_days)
        if not is_holiday(start + dt.timedelta(days=k), country)
    ]
    rng = np.random.default_rng([seed, start.toordinal(), end.toordinal(), _PLAN_STREAM])
    kinds = ["flood"] * round(n_days / FLOOD_EVERY) + ["campaign"] * round(n_days / CAMPAIGN_EVERY)
    kinds = [kinds[i] for i in rng.permutation(len(kinds)).tolist()]
    days = rng.choice(len(free), min(len(kinds), len(free)), replace=False) if free else []
    chosen = []
    for kind, index in zip(kinds, sorted(int(i) for i in days), strict=False):
        if kind == "flood":
            channel = CHANNELS[int(rng.integers(len(CHANNELS)))]
            low, high = FLOOD_COMPLAINTS
            complaints, minutes, letter = int(rng.integers(low, high + 1)), FLOOD_MINUTES, 0
        else:
            channel = CAMPAIGN_CHANNELS[int(rng.integers(len(CAMPAIGN_CHANNELS)))]
            low, high = CAMPAIGN_COMPLAINTS
            complaints, minutes = int(rng.integers(low, high + 1)), CAMPAIGN_MINUTES
            letter = int(rng.integers(len(CAMPAIGN_LETTERS)))
        start_minute = int(rng.integers(8 * 60, 20 * 60 - minutes // 2))
        language = "zh" if kind == "campaign" and rng.random() < ZH_SHARE else "en"
        chosen.append(Suspect(kind, channel, free[index], complaints, start_minute, minutes, letter, language))
    return sorted(chosen, key=lambda s: (s.day, s.kind))


def extras(
    rng: np.random.Generator, suspects: tuple[Suspect, ...], day: dt.date, channel: str, pool: int
) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
    """Per suspect of this channel's day: the fields every one of its records takes (in order), and its records
    per minute."""
    found = []
    for suspect in suspects:
        if suspect.day != day or suspect.channel != channel:
            continue
        end = min(suspect.start_minute + suspect.minutes, 1440)
        profile = np.zeros(1440)
        profile[suspect.start_minute : end] = _MINUTE_PROFILE[suspect.start_minute : end]
        per_minute = rng.multinomial(suspect.complaints, profile / profile.sum())
        n = suspect.complaints
        if suspect.kind == "flood":
            # One customer, in one region (a social account's handle is made from both), who gives their account
            # number every time (KEEP_ACCOUNT): all of it is keyed to one customer.
            fixed = {
                "customer": np.full(n, int(rng.integers(0, pool))),
                "region": np.full(n, int(rng.integers(0, len(REGIONS)))),
                KEEP_ACCOUNT: np.ones(n, dtype=bool),
            }
        else:
            # Different customers each, from a block no ordinary draw favours.
            first = int(rng.integers(0, max(pool - n, 1)))
            fixed = {
                "customer": np.arange(first, first + n),
                # One letter in one language: the copies of its Chinese version are another text.
                "zh": np.full(n, suspect.language == "zh"),
                "campaign": np.full(n, suspect.letter),
                "category": np.full(n, CATEGORIES.index(CAMPAIGN_LETTERS[suspect.letter][0])),
                # About one product, which the letter names.
                "product": np.full(n, int(rng.integers(len(PRODUCTS)))),
            }
        found.append((fixed, per_minute))
    return found
