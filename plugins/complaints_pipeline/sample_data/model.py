"""The generator's model: volume and surges, drawing records, clocks, each complaint's life."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from complaints_pipeline.business_calendar import is_holiday
from complaints_pipeline.reference import (
    CATEGORIES,
    CATEGORY_SHARE,
    CHANNEL_SHARE,
    CHANNELS,
    PRODUCTS,
    REGIONS,
)
from complaints_pipeline.sample_data.parameters import (
    _COMPENSATION_AMOUNTS,
    _COMPENSATION_P,
    _DIMENSION_VALUES,
    _ESCALATION_CDF,
    _ESCALATION_CDF_URGENT,
    _NEVER,
    _SURGE_PLAN_STREAM,
    BACKLOG_SHARE,
    BASELINE_DAYS,
    COMPLEX_SHARE,
    DIMENSIONS,
    FIRST_CONTACT_SHARE,
    HOLIDAY_FACTOR,
    PRODUCT_SHARE,
    REGION_SHARE,
    REOPEN_SHARE,
    SATISFACTION_P,
    SEVERITY_P,
    SURGE_MAX_DAYS,
    SURGE_MULTIPLIER_RANGE,
    WEEKDAY_FACTOR,
    ZH_SHARE,
    Batch,
    Rows,
)
from complaints_pipeline.sample_data.texts import OPENINGS, _customer_columns, campaign_text, complaint_text

# --- public data classes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Surge:
    """Records of one dimension value multiplied for ``days`` days from ``start``, from ``start_minute`` (local
    minute of the day, 0-1439) of its first day: a surge that begins within the day (intraday detection)."""

    dimension: str
    value: str
    start: dt.date
    days: int = 1
    multiplier: float = 3.0
    start_minute: int = 0

    def __post_init__(self) -> None:
        if self.dimension not in _DIMENSION_VALUES:
            raise ValueError(f"surge dimension {self.dimension!r} is not one of {DIMENSIONS}")
        if self.value not in _DIMENSION_VALUES[self.dimension]:
            raise ValueError(f"surge value {self.value!r} is not a known {self.dimension}")
        if self.days < 1 or self.multiplier < 1:
            raise ValueError(f"surge needs days >= 1 and multiplier >= 1, got {self.days}, {self.multiplier}")
        if not 0 <= self.start_minute < 1440:
            raise ValueError(f"surge start_minute must be a minute of the day (0-1439), got {self.start_minute}")

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def as_json(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "value": self.value,
            "multiplier": self.multiplier,
            "start": self.start.isoformat(),
            "days": self.days,
        } | ({"start_minute": self.start_minute} if self.start_minute else {})


@dataclass(frozen=True)
class ChannelCount:
    generated: int  # records written, bad ones and updates included
    bad: int
    updates: int = 0  # later versions of complaints already registered (that day or before)


@dataclass(frozen=True)
class DaySummary:
    day: dt.date
    is_holiday: bool
    counts: dict[str, ChannelCount]
    surges: tuple[Surge, ...] = ()

    @property
    def total(self) -> int:
        return sum(c.generated for c in self.counts.values())


@dataclass
class GenerationSummary:
    start: dt.date
    end: dt.date
    seed: int
    per_day: int
    surges: list[Surge]
    days: list[DaySummary] = field(default_factory=list)
    suspects: list = field(default_factory=list)  # floods and copy campaigns (sample_data.suspects.Suspect)

    @property
    def counts(self) -> dict[dt.date, dict[str, int]]:
        """Records written per day and channel (bad ones included)."""
        return {d.day: {ch: c.generated for ch, c in d.counts.items()} for d in self.days}

    @property
    def total(self) -> int:
        return sum(d.total for d in self.days)

    @property
    def total_updates(self) -> int:
        return sum(c.updates for d in self.days for c in d.counts.values())

    @property
    def total_bad(self) -> int:
        return sum(c.bad for d in self.days for c in d.counts.values())


# --- volume and surges ------------------------------------------------------------------------------


def day_factor(day: dt.date, country: str = "CN") -> float:
    """Weekly seasonality times the holiday uplift for one day."""
    factor = WEEKDAY_FACTOR[day.weekday()]
    return factor * HOLIDAY_FACTOR if is_holiday(day, country) else factor


def expected_volume(day: dt.date, per_day: int, country: str = "CN", channel: str | None = None) -> float:
    """Expected records on a day before noise and surges, for one channel or all of them.

    ``per_day`` is an ordinary Wednesday or Thursday across all channels; other weekdays scale by
    WEEKDAY_FACTOR (Mon 1.10, Tue 1.05, Wed 1.00, Thu 1.00, Fri 0.95, Sat 0.80, Sun 0.75), public holidays
    by HOLIDAY_FACTOR on top, and a channel gets its reference.CHANNEL_SHARE. Actual counts add Poisson noise.
    """
    share = 1.0 if channel is None else CHANNEL_SHARE[channel]
    return per_day * share * day_factor(day, country)


def _dimension_share(dimension: str, value: str) -> float:
    shares = {"category": CATEGORY_SHARE, "product": PRODUCT_SHARE, "region": REGION_SHARE}[dimension]
    return shares[value]


def choose_surges(start: dt.date, end: dt.date, seed: int, country: str = "CN") -> list[Surge]:
    """About one surge per 10 days, at least 2 on ranges of 35+ days, after the baseline, off holidays.

    Surges never overlap and keep a quiet day between them, so each is a separate event to detect.
    """
    n_days = (end - start).days + 1
    wanted = max(round(n_days / 10), 2 if n_days >= 35 else 0)
    eligible = {
        start + dt.timedelta(days=k)
        for k in range(BASELINE_DAYS, n_days)
        if not is_holiday(start + dt.timedelta(days=k), country)
    }
    rng = np.random.default_rng([seed, start.toordinal(), end.toordinal(), _SURGE_PLAN_STREAM])
    # Dimensions rotate in a seeded order, so every run surges on a mix of them.
    rotation = [DIMENSIONS[k] for k in rng.permutation(len(DIMENSIONS)).tolist()]
    blocked: set[dt.date] = set()
    surges: list[Surge] = []
    for n in range(wanted):
        days = int(rng.integers(1, SURGE_MAX_DAYS + 1))
        candidates = _surge_starts(eligible - blocked, days)
        while not candidates and days > 1:
            days -= 1
            candidates = _surge_starts(eligible - blocked, days)
        if not candidates:
            break
        first = candidates[int(rng.integers(len(candidates)))]
        dimension = rotation[n % len(rotation)]
        values = _DIMENSION_VALUES[dimension]
        value = values[int(rng.integers(len(values)))]
        multiplier = round(float(rng.uniform(*SURGE_MULTIPLIER_RANGE)), 1)
        surges.append(Surge(dimension, value, first, days, multiplier))
        blocked.update(first + dt.timedelta(days=k) for k in range(-1, days + 1))
    return sorted(surges, key=lambda s: s.start)


def _surge_starts(free: set[dt.date], days: int) -> list[dt.date]:
    return sorted(d for d in free if all(d + dt.timedelta(days=k) in free for k in range(days)))


# --- drawing records --------------------------------------------------------------------------------


def _stream(seed: int, day: dt.date, channel: str, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, day.toordinal(), CHANNELS.index(channel), stream])


# The largest customer base drawn from (and listed by the CRM export): 2 million, 10,000 a day's pool.
MAX_POOL = 2_000_000
_CATEGORY_P = np.asarray([CATEGORY_SHARE[c] for c in CATEGORIES])
_PRODUCT_P = np.asarray([PRODUCT_SHARE[p] for p in PRODUCTS])
_REGION_P = np.asarray([REGION_SHARE[r] for r in REGIONS])


def _draw_batch(rng: np.random.Generator, minutes: np.ndarray, pool: int, fixed: tuple[str, int] | None) -> Batch:
    """Draw every field of ``len(minutes)`` records at once; the draw order is fixed, for determinism."""
    n = len(minutes)
    b: Batch = {"secs": minutes * 60 + rng.integers(0, 60, n)}
    b["category"] = rng.choice(len(CATEGORIES), n, p=_CATEGORY_P)
    b["product"] = rng.choice(len(PRODUCTS), n, p=_PRODUCT_P)
    b["region"] = rng.choice(len(REGIONS), n, p=_REGION_P)
    if fixed is not None:
        b[fixed[0]][:] = fixed[1]
    b["zh"] = rng.random(n) < ZH_SHARE
    b["customer"] = rng.integers(0, pool, n)
    b["picks"] = rng.integers(0, 2**31, (n, 5))
    b["u"] = rng.random((n, 3))
    b["metrics"] = rng.poisson((1.5, 0.8, 6.0, 0.3), (n, 4))
    b.update(_draw_handling(rng, n))
    # A copy campaign's letter (sample_data.suspects), -1 for an ordinary complaint: no draw, so none changes.
    b["campaign"] = np.full(n, -1, dtype=np.int64)
    return b


def _draw_handling(rng: np.random.Generator, n: int) -> Batch:
    """Severity, complexity and the handling clock in seconds after receipt (NaN: not yet)."""
    severity = rng.choice(5, n, p=SEVERITY_P) + 1
    is_complex = rng.random(n) < COMPLEX_SHARE
    urgent = severity >= 4
    # Urgent complaints are answered mostly within 2 h, the rest mostly within 24 h.
    first = np.where(urgent, rng.lognormal(np.log(40 * 60), 0.9, n), rng.lognormal(np.log(3 * 3600), 1.1, n))
    first = first.clip(120, 30 * 3600)
    first[rng.random(n) < BACKLOG_SHARE] = np.nan
    resolve = np.where(is_complex, rng.lognormal(np.log(80 * 3600), 0.6, n), rng.lognormal(np.log(18 * 3600), 0.9, n))
    resolve = np.maximum(resolve.clip(3600, 240 * 3600), first + 600)
    satisfaction = rng.choice(6, n, p=SATISFACTION_P)
    u = rng.random(n)
    escalation = np.where(
        urgent,
        np.searchsorted(_ESCALATION_CDF_URGENT, u, side="right"),
        np.searchsorted(_ESCALATION_CDF, u, side="right"),
    )
    paid = rng.random(n) < np.where(escalation >= 2, 0.25, 0.05)
    amount = _COMPENSATION_AMOUNTS[rng.choice(len(_COMPENSATION_AMOUNTS), n, p=_COMPENSATION_P)]
    handle = rng.lognormal(np.log(12), 0.6, n) * np.where(is_complex, 1.8, 1.0)
    # Drawn last, so the fields above are the same draws as before these two existed.
    first_contact = ~is_complex & (escalation == 0) & (rng.random(n) < FIRST_CONTACT_SHARE)
    resolve = np.where(first_contact, first, resolve)
    reopened = rng.random(n) < REOPEN_SHARE
    return {
        "severity": severity,
        "complex": is_complex,
        "first_s": first,
        "resolve_s": resolve,
        "reopened": reopened,
        "satisfaction": satisfaction,
        "escalation": escalation,
        "compensation": np.where(paid, amount, 0.0),
        "handle": handle.clip(3, 120).round(1),
        "agent": rng.integers(1, 81, n),
    }


def _merge(parts: list[Batch]) -> Batch:
    """Concatenate batches and put the records in time order."""
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(merged["secs"], kind="stable")
    return {k: v[order] for k, v in merged.items()}


# --- time -------------------------------------------------------------------------------------------


class _Clock:
    """Local wall time <-> UTC for one time zone, vectorised by looking offsets up once per hour."""

    def __init__(self, tz_name: str) -> None:
        self.tz = ZoneInfo(tz_name)
        self._by_utc_hour: dict[int, int] = {}

    def local_offsets(self, day: dt.date) -> np.ndarray:
        """UTC offset in seconds for each local hour of ``day``."""
        return np.array(
            [
                int(dt.datetime(day.year, day.month, day.day, h, tzinfo=self.tz).utcoffset().total_seconds())
                for h in range(24)
            ]
        )

    def offsets(self, utc: np.ndarray) -> np.ndarray:
        hours, inverse = np.unique(utc // 3600, return_inverse=True)
        table = np.array([self._offset_at(int(h)) for h in hours], dtype=np.int64)
        return table[inverse.reshape(-1)] if len(hours) else np.zeros(0, dtype=np.int64)

    def _offset_at(self, utc_hour: int) -> int:
        if utc_hour not in self._by_utc_hour:
            moment = dt.datetime.fromtimestamp(utc_hour * 3600, tz=self.tz)
            self._by_utc_hour[utc_hour] = int(moment.utcoffset().total_seconds())
        return self._by_utc_hour[utc_hour]


def _iso(epoch: np.ndarray) -> list[str]:
    """Epoch seconds -> 'YYYY-MM-DDTHH:MM:SS'."""
    return np.datetime_as_string(epoch.astype("datetime64[s]")).tolist()


def _offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


@dataclass(frozen=True)
class _Day:
    """Everything about one day that every channel needs."""

    day: dt.date
    seed: int
    per_day: int
    country: str
    clock: _Clock
    out_dir: Path

    @property
    def ymd(self) -> str:
        return self.day.strftime("%Y%m%d")

    @property
    def local_midnight(self) -> int:
        """Epoch seconds of the day's start read as if local wall time were UTC."""
        return (self.day - dt.date(1970, 1, 1)).days * 86400

    @property
    def pool(self) -> int:
        # Big enough that most customers complain once (a channel's month draws about 5 % of it), small
        # enough for some repeat complainers; at most MAX_POOL (the CRM export lists every one: 200 per daily
        # complaint made 40 million at 200,000 a day, 7.7 GB to write).
        return min(MAX_POOL, max(1_000, self.per_day * 200))

    def channel_dir(self, channel: str) -> Path:
        return self.out_dir / channel / self.day.isoformat()

    @property
    def export_epoch(self) -> int:
        """When the day's files are written: local midnight after the day (epoch seconds)."""
        after = self.day + dt.timedelta(days=1)
        return int(dt.datetime(after.year, after.month, after.day, tzinfo=self.clock.tz).timestamp())

    def earlier(self, days: int) -> _Day:
        return _Day(self.day - dt.timedelta(days=days), self.seed, self.per_day, self.country, self.clock, self.out_dir)


def _rows(batch: Batch, ctx: _Day, handling: bool, as_of: np.ndarray | int | None = None) -> Rows:
    """Turn drawn numbers into the strings the writers put in files (handling fields if asked, as they stood
    at as_of: by default the end of the day, when the day's export is written)."""
    n = len(batch["secs"])
    utc = ctx.local_midnight + batch["secs"] - ctx.clock.local_offsets(ctx.day)[batch["secs"] // 3600]
    offset = ctx.clock.offsets(utc)
    rows: Rows = _customer_columns(batch["customer"], batch["region"], ctx.seed)
    rows["utc"] = utc.tolist()
    rows["offset"] = offset.tolist()
    rows["local"] = [s.replace("T", " ") for s in _iso(utc + offset)]
    rows["iso"] = [f"{s}{_offset_text(o)}" for s, o in zip(_iso(utc + offset), rows["offset"], strict=True)]
    rows["utc_iso"] = [f"{s}.000Z" for s in _iso(utc)]
    rows["category"] = [CATEGORIES[k] for k in batch["category"].tolist()]
    rows["product"] = [PRODUCTS[k] for k in batch["product"].tolist()]
    rows["region"] = [REGIONS[k] for k in batch["region"].tolist()]
    rows["lang"] = ["zh" if z else "en" for z in batch["zh"].tolist()]
    rows["picks"] = batch["picks"].tolist()
    rows["u"] = batch["u"].tolist()
    rows["metrics"] = batch["metrics"].tolist()
    campaign = batch["campaign"].tolist()
    rows["text"] = [
        campaign_text(campaign[i], rows["lang"][i], rows["picks"][i], rows["product"][i])
        if campaign[i] >= 0
        else complaint_text(
            rows["category"][i],
            rows["lang"][i],
            rows["product"][i],
            rows["picks"][i],
            rows["phone"][i],
            rows["email"][i],
        )
        for i in range(n)
    ]
    rows["opening"] = [OPENINGS[lang][p[4] % 4] for lang, p in zip(rows["lang"], rows["picks"], strict=True)]
    if handling:
        moment = ctx.export_epoch if as_of is None else as_of
        rows.update(_handling_rows(batch, utc, ctx, np.broadcast_to(np.asarray(moment, dtype=np.int64), utc.shape)))
    rows["_utc"] = utc
    return rows


def _life(batch: Batch, utc: np.ndarray) -> dict[str, np.ndarray]:
    """Each record's life, in epoch seconds (_NEVER where an event never happens): first response,
    resolution, reopening, resolution again, and closing (the survey a day after the last resolution)."""

    def after(start: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(seconds) | (start >= _NEVER), _NEVER, start + np.nan_to_num(seconds).astype(np.int64))

    first = after(utc, batch["first_s"])
    resolve = after(utc, batch["resolve_s"])
    reopened = batch["reopened"] & (resolve < _NEVER)
    # From picks already drawn, so every other field stays the draw it was.
    gap = 7200 + batch["picks"][:, 0] % 165_600  # 2 to 48 hours after the resolution
    reopen = np.where(reopened, resolve + gap, _NEVER)
    again = np.where(reopened, reopen + 3600 + np.maximum(resolve - first, 0) // 2, _NEVER)
    last = np.where(reopened, again, resolve)
    close = np.where(last < _NEVER, last + 86400, _NEVER)
    life = {"first": first, "resolve": resolve, "reopen": reopen, "again": again, "close": close}
    # No event at an export's instant (a local midnight, a multiple of 15 minutes in every time zone): an
    # export written then would hold it with the same version time as the records it describes as of then
    # (a form's, a mail's), and the two would conflict. At 1,000,000 a day, 10 of 1,457,910 records did.
    return {event: np.where((at < _NEVER) & (at % 900 == 0), at + 1, at) for event, at in life.items()}


_EVENTS = ("first", "resolve", "reopen", "again", "close")
_STATUS_AFTER = {
    "first": "in_progress",
    "resolve": "resolved",
    "reopen": "reopened",
    "again": "resolved",
    "close": "closed",
}


def _handling_rows(batch: Batch, utc: np.ndarray, ctx: _Day, as_of: np.ndarray) -> Rows:
    """Status and handling fields as they stood at as_of (epoch seconds, one per record): nothing later."""
    life = _life(batch, utc)
    status = np.full(len(utc), "open", dtype=object)
    for event in _EVENTS:
        status = np.where(as_of >= life[event], _STATUS_AFTER[event], status)
    responded = as_of >= life["first"]
    resolved = as_of >= life["resolve"]
    resolved_at = np.where(as_of >= life["again"], life["again"], np.where(resolved, life["resolve"], utc))
    surveyed = (as_of >= life["close"]) & (batch["satisfaction"] > 0)
    updated = utc.copy()
    for event in _EVENTS:
        updated = np.where(as_of >= life[event], np.maximum(updated, life[event]), updated)
    first_at = np.where(responded, life["first"], utc)
    return {
        "severity": batch["severity"].tolist(),
        "complexity": np.where(batch["complex"], "complex", "general").tolist(),
        "status": status.tolist(),
        "first_local": _local_texts(first_at, responded, ctx.clock, " "),
        "first_iso": _local_texts(first_at, responded, ctx.clock, "T"),
        "resolved_local": _local_texts(resolved_at, resolved, ctx.clock, " "),
        "resolved_iso": _local_texts(resolved_at, resolved, ctx.clock, "T"),
        "updated_local": _local_texts(updated, np.ones(len(utc), dtype=bool), ctx.clock, " "),
        "satisfaction": [
            s if ok else None for s, ok in zip(batch["satisfaction"].tolist(), surveyed.tolist(), strict=True)
        ],
        # Escalation and cost are known once someone has picked the complaint up.
        "escalation": np.where(responded, batch["escalation"], 0).tolist(),
        "compensation": np.where(resolved, batch["compensation"], 0.0).tolist(),
        "handle": [h if ok else None for h, ok in zip(batch["handle"].tolist(), responded.tolist(), strict=True)],
        "agent": [f"A{a:04d}" for a in batch["agent"].tolist()],
    }


def _local_texts(utc: np.ndarray, present: np.ndarray, clock: _Clock, sep: str) -> list[str | None]:
    """Local times as 'YYYY-MM-DD HH:MM:SS' (sep ' ') or ISO with offset (sep 'T'); None where absent."""
    offset = clock.offsets(utc)
    texts = _iso(utc + offset)
    if sep == "T":
        texts = [f"{s}{_offset_text(o)}" for s, o in zip(texts, offset.tolist(), strict=True)]
    else:
        texts = [s.replace("T", " ") for s in texts]
    return [s if ok else None for s, ok in zip(texts, present.tolist(), strict=True)]


# --- channel writers --------------------------------------------------------------------------------
