"""Write synthetic complaint files for the four channels, in the landing formats of docs/contract.md.

Deterministic for a seed; injects surges and bad records and writes them down as ground truth for tests.
Run: ``python -m complaints_pipeline.sample_data --start 2026-09-23 --end 2026-11-21 --out var/landing``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import html
import json
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import numpy as np

from complaints_pipeline.business_calendar import is_holiday
from complaints_pipeline.config import DEFAULT_TZ
from complaints_pipeline.reference import (
    CATEGORIES,
    CATEGORY_SHARE,
    CHANNEL_SHARE,
    CHANNELS,
    PRODUCTS,
    REGIONS,
)

# --- volume -----------------------------------------------------------------------------------------

# Monday..Sunday: complaints pile up after the weekend and thin out on Saturday and Sunday.
WEEKDAY_FACTOR: tuple[float, ...] = (1.10, 1.05, 1.00, 1.00, 0.95, 0.80, 0.75)
WEEKDAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The domain guide: holidays bring about +20 % volume.
HOLIDAY_FACTOR = 1.20
# Relative volume per local hour: quiet at night, busy 9:00-21:00.
# fmt: off
HOURLY_PROFILE: tuple[float, ...] = (
    0.35, 0.20, 0.15, 0.10, 0.10, 0.15, 0.35, 0.80, 1.60, 3.20, 4.00, 4.20,
    3.60, 3.80, 4.10, 4.20, 4.00, 3.80, 3.50, 3.60, 3.70, 3.20, 1.80, 0.80,
)
# fmt: on
_MINUTE_PROFILE = np.repeat(np.asarray(HOURLY_PROFILE), 60) / (60 * sum(HOURLY_PROFILE))

# The reference names products and regions; how often each is complained about is the generator's choice.
PRODUCT_SHARE: dict[str, float] = dict(zip(PRODUCTS, (0.30, 0.16, 0.12, 0.10, 0.14, 0.18), strict=True))
REGION_SHARE: dict[str, float] = dict(zip(REGIONS, (0.17, 0.18, 0.13, 0.13, 0.10, 0.10, 0.08, 0.11), strict=True))
ZH_SHARE = 0.30

# Records are drawn this many at a time (plus any surge extras in the same minutes), and turned into
# Python strings ROW_SLICE at a time, so a day of any size, surged or not, fits in memory.
CHUNK_SIZE = 50_000
ROW_SLICE = 10_000
SOCIAL_PAGE_SIZE = 500
# Above this many messages a day, email lands as one mbox instead of one .eml per message.
MBOX_THRESHOLD = 5_000

# --- surges and bad records -------------------------------------------------------------------------

DIMENSIONS: tuple[str, ...] = ("category", "product", "region", "channel")
_DIMENSION_VALUES: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "product": PRODUCTS,
    "region": REGIONS,
    "channel": CHANNELS,
}
# The pipeline needs four weeks of baseline before a surge can be told from normal volume.
BASELINE_DAYS = 29
SURGE_MULTIPLIER_RANGE = (2.0, 5.0)
SURGE_MAX_DAYS = 3

BAD_RATE = 0.005
BAD_KINDS: dict[str, tuple[str, ...]] = {
    "phone": ("bad_timestamp", "satisfaction_out_of_range", "resolved_before_received"),
    "email": ("missing_date", "empty_body"),
    "web": ("malformed_json", "missing_submitted_at", "satisfaction_out_of_range"),
    "social": ("empty_text", "missing_created_at"),
}

# Records that are no new complaint, which the pipeline counts as skipped: a mailbox receives
# auto-replies and bounces; a social feed holds reposts. (A customer writing again in a thread is a
# version of that complaint, not a skip.)
SKIP_RATE = 0.01
SKIP_KINDS: dict[str, tuple[str, ...]] = {
    "phone": (),
    "email": ("auto_reply", "bounce"),
    "web": (),
    "social": ("repost",),
}

# --- handling ---------------------------------------------------------------------------------------

# Each day's files hold only what had happened by the end of that day (the export's time): the day's new
# complaints as they stood then, and the changes that day to complaints received up to LIFE_DAYS before
# (answered, resolved, reopened, resolved again, surveyed a day after the last resolution).
LIFE_DAYS = 21
_NEVER = np.iinfo(np.int64).max // 4  # the epoch second of an event that never happens
SEVERITY_P = (0.12, 0.38, 0.33, 0.14, 0.03)
COMPLEX_SHARE = 0.15
BACKLOG_SHARE = 0.03  # never picked up by anyone: open until it is overdue, and after
# Of the simple, unescalated complaints, this share is resolved in the first contact (the answer is the fix).
FIRST_CONTACT_SHARE = 0.30
# Of the resolved complaints, this share the customer reopens (2 to 48 hours after), and it is resolved again.
REOPEN_SHARE = 0.04
# 0 means "not surveyed"; 1-3 about 8 %, 4-5 the rest.
SATISFACTION_P = (0.30, 0.02, 0.025, 0.035, 0.25, 0.37)
_ESCALATION_CDF = np.cumsum((0.85, 0.10, 0.04, 0.01))
_ESCALATION_CDF_URGENT = np.cumsum((0.45, 0.30, 0.18, 0.07))
_COMPENSATION_AMOUNTS = np.array([20.0, 50.0, 100.0, 200.0, 500.0])
_COMPENSATION_P = (0.30, 0.30, 0.20, 0.15, 0.05)

# fmt: off
PHONE_HEADER: tuple[str, ...] = (
    "ticket_no", "call_start", "caller_name", "caller_phone", "account_no", "product", "category",
    "severity", "complexity", "region", "status", "first_response_time", "resolved_time", "satisfaction",
    "escalation_level", "compensation", "handle_minutes", "agent_id", "notes", "updated_at",
)
# fmt: on

# --- text -------------------------------------------------------------------------------------------

# What a rule-based categoriser can look for. Every generated complaint text holds at least one keyword
# of its own category and no keyword (as a case-insensitive substring) of any other category.
CATEGORY_KEYWORDS: dict[str, dict[str, list[str]]] = {
    "product_quality": {
        "en": ["broken", "defect", "stopped working", "faulty", "quality", "malfunction"],
        "zh": ["坏了", "质量", "故障", "缺陷", "死机"],
    },
    "service_attitude": {
        "en": ["rude", "impolite", "ignored", "attitude", "unprofessional", "hung up"],
        "zh": ["态度", "不礼貌", "敷衍", "服务差", "没人理"],
    },
    "delivery_logistics": {
        "en": ["delivery", "package", "courier", "late", "shipment", "tracking"],
        "zh": ["快递", "物流", "送货", "延迟", "配送"],
    },
    "billing_dispute": {
        "en": ["charged", "bill", "refund", "overcharged", "invoice", "payment"],
        "zh": ["扣费", "账单", "退款", "多收", "发票"],
    },
    "policy_misunderstanding": {
        "en": ["policy", "terms", "warranty", "not allowed", "contract", "rules"],
        "zh": ["政策", "条款", "保修", "规定", "合同"],
    },
}

# One sentence each; {product} is the reference product name, verbatim.
_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "product_quality": {
        "en": (
            "My {product} is broken after only two weeks.",
            "There is a clear defect in the screen of my {product}.",
            "The {product} stopped working yesterday and will not switch on.",
            "I received a faulty {product} that keeps restarting by itself.",
            "The quality of this {product} is terrible for the price.",
            "My {product} has a malfunction every time I use it.",
        ),
        "zh": (
            "我买的{product}用了两周就坏了。",
            "{product}的质量太差了，根本没法用。",
            "{product}经常出现故障，无法正常使用。",
            "新买的{product}屏幕有明显缺陷。",
            "{product}老是死机，重启也没用。",
        ),
    },
    "service_attitude": {
        "en": (
            "The agent was rude to me when I asked about my {product}.",
            "Your staff were impolite and did not listen to my questions about the {product}.",
            "My messages about the {product} have been ignored for days.",
            "The attitude of your hotline agent about my {product} was unacceptable.",
            "Your support team was unprofessional when I called about the {product}.",
            "The agent hung up on me while I was explaining my {product} issue.",
        ),
        "zh": (
            "客服人员态度很差，{product}的问题一直不解决。",
            "接电话的工作人员很不礼貌，我只是咨询{product}。",
            "关于{product}的问题，客服一直在敷衍我。",
            "你们的服务差到极点了，{product}的事情推来推去。",
            "{product}的问题反映了三天都没人理。",
        ),
    },
    "delivery_logistics": {
        "en": (
            "The delivery of my {product} is a week behind schedule.",
            "The {product} package arrived open and half empty.",
            "The courier never showed up with my {product}.",
            "The shipment of my {product} has been stuck for five days.",
            "The tracking number for my {product} shows no updates.",
            "My {product} came late and the box was crushed.",
        ),
        "zh": (
            "{product}的快递一周了还没到。",
            "物流信息三天没有更新，我的{product}到底在哪里？",
            "送货员没打招呼就把{product}放在门口了。",
            "{product}的发货一再延迟。",
            "配送太慢了，{product}到现在还没收到。",
        ),
    },
    "billing_dispute": {
        "en": (
            "I was charged twice for my {product} this month.",
            "My bill for the {product} is wrong again.",
            "I asked for a refund on the {product} three weeks ago and have heard nothing.",
            "You overcharged me for the {product} subscription.",
            "The invoice for my {product} shows fees I never agreed to.",
            "My payment for the {product} was taken but the order shows unpaid.",
        ),
        "zh": (
            "{product}每个月都莫名其妙扣费。",
            "这个月{product}的账单金额不对。",
            "申请{product}退款三周了还没到账。",
            "{product}多收了我两百元。",
            "{product}的发票金额和实际付款不一致。",
        ),
    },
    "policy_misunderstanding": {
        "en": (
            "Your return policy for the {product} was never explained to me.",
            "The terms of the {product} offer are not what the sales person told me.",
            "I was told the warranty on my {product} does not cover this.",
            "Why is it not allowed to switch my {product} to another option?",
            "The contract for my {product} says something different from the shop.",
            "Nobody told me about the rules for cancelling my {product}.",
        ),
        "zh": (
            "你们的{product}退换货政策根本没说清楚。",
            "{product}的条款和销售说的不一样。",
            "{product}明明还在保修期内却说不能免费维修。",
            "按照你们的规定{product}不能更换套餐，我不理解。",
            "{product}的合同里根本没写这一条。",
        ),
    },
}

# Neutral fillers: none may contain a category keyword.
_OPENINGS = {
    "en": ("", "Hello. ", "Hi there. ", "To whom it may concern: "),
    "zh": ("", "你好，", "您好！", "客服你好，"),
}
_CLOSINGS = {
    "en": ("", " Please sort this out.", " I expect an answer soon.", " This is not the first time.", " Thanks."),
    "zh": ("", "请尽快处理。", "希望给个说法。", "这不是第一次了。", "谢谢。"),
}
_CONTACT_PHONE = {"en": " You can reach me on {phone}.", "zh": "我的电话是{phone}。"}
_CONTACT_EMAIL = {"en": " My email is {email}.", "zh": "我的邮箱是{email}。"}
_SALUTATIONS = {
    "en": ("Dear Customer Service,", "Hello,", "To the complaints team,"),
    "zh": ("尊敬的客服：", "你好：", "客服部门："),
}
_SIGNOFFS = {"en": ("Regards,", "Best wishes,", "Thank you,"), "zh": ("此致", "谢谢！", "盼复。")}
_SUBJECTS = {
    "en": ("Complaint about my {product}", "Problem with {product}", "{product} complaint"),
    "zh": ("关于{product}的投诉", "{product}问题反映", "投诉：{product}"),
}

# fmt: off
_EN_GIVEN = (
    "James", "Mary", "John", "Linda", "Michael", "Sarah", "David", "Emma", "Daniel", "Olivia",
    "Peter", "Grace", "Thomas", "Lucy", "Kevin", "Helen", "Mark", "Anna", "Paul", "Sophie",
)
_EN_FAMILY = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright", "Green",
    "Hall", "Wood", "Harris", "Clark", "Lewis", "Young", "King", "Baker", "Hill", "Moore",
)
# (characters, pinyin): the pinyin makes email addresses and user names.
_ZH_FAMILY = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"),
)
_ZH_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("洋", "yang"), ("艳", "yan"), ("勇", "yong"), ("军", "jun"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
    ("晓东", "xiaodong"), ("海燕", "haiyan"),
)
# fmt: on
_MAIL_DOMAINS = ("example.com", "mail.example.cn", "example.net", "inbox.example.org")
_PHONE_PREFIXES = ("138", "139", "135", "136", "150", "151", "158", "186", "187", "188", "177", "199")
COMPANY_MAILBOX = "complaints@acme.example.com"
COMPANY_HANDLE = "@AcmeCare"

# Random streams per (seed, day, channel): base records, surge extras, bad records.
_BASE, _EXTRA, _BAD, _SKIP = 0, 1, 2, 3
_SURGE_PLAN_STREAM = 99
_SNOWFLAKE_EPOCH_MS = 1288834974657  # X's id epoch
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Batch = dict[str, np.ndarray]
Rows = dict[str, list[Any]]


# --- public data classes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Surge:
    """Records of one dimension value multiplied for ``days`` days from ``start``."""

    dimension: str
    value: str
    start: dt.date
    days: int = 1
    multiplier: float = 3.0

    def __post_init__(self) -> None:
        if self.dimension not in _DIMENSION_VALUES:
            raise ValueError(f"surge dimension {self.dimension!r} is not one of {DIMENSIONS}")
        if self.value not in _DIMENSION_VALUES[self.dimension]:
            raise ValueError(f"surge value {self.value!r} is not a known {self.dimension}")
        if self.days < 1 or self.multiplier < 1:
            raise ValueError(f"surge needs days >= 1 and multiplier >= 1, got {self.days}, {self.multiplier}")

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
        }


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


# --- customers and text -----------------------------------------------------------------------------


def _mix(values: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64: a fixed scramble, so a customer's name, phone and account stay the same every day."""
    z = values.astype(np.uint64) + np.uint64((0x9E3779B97F4A7C15 * (salt + 1)) % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _customer_columns(customer: np.ndarray, region: np.ndarray, seed: int) -> Rows:
    """Name, phone, account, email and social identity of each record's customer."""
    h = _mix(customer, seed)
    h2 = _mix(h, seed + 1)
    zh_name = (h & np.uint64(0xFF)) < np.uint64(140)
    fam = ((h >> np.uint64(8)) % np.uint64(320)).astype(np.int64)
    giv = ((h >> np.uint64(20)) % np.uint64(320)).astype(np.int64)
    num = ((h >> np.uint64(32)) % np.uint64(100)).astype(np.int64)
    dom = ((h >> np.uint64(40)) % np.uint64(len(_MAIL_DOMAINS))).astype(np.int64)
    pre = ((h >> np.uint64(48)) % np.uint64(len(_PHONE_PREFIXES))).astype(np.int64)
    digits = (h2 % np.uint64(10**8)).astype(np.int64)
    # An affine map with a multiplier coprime to 10**8 gives every customer a distinct account number.
    account = ((customer.astype(np.int64) * 48271 + 12345 + seed * 7) % 10**8).tolist()
    author = (1_000_000_000 + (customer.astype(np.int64) * len(REGIONS) + region) * 37).tolist()
    digits, regions = digits.tolist(), region.tolist()
    cols: Rows = {k: [] for k in ("name", "email", "phone", "account", "username", "author_id")}
    columns = (zh_name.tolist(), fam.tolist(), giv.tolist(), num.tolist(), dom.tolist(), pre.tolist())
    for i, (z, f, g, k, d, p) in enumerate(zip(*columns, strict=True)):
        if z:
            (fam_zh, fam_py), (giv_zh, giv_py) = _ZH_FAMILY[f % len(_ZH_FAMILY)], _ZH_GIVEN[g % len(_ZH_GIVEN)]
            name, local, handle = fam_zh + giv_zh, f"{giv_py}.{fam_py}", f"{fam_py}{giv_py}"
        else:
            first, last = _EN_GIVEN[g % len(_EN_GIVEN)], _EN_FAMILY[f % len(_EN_FAMILY)]
            name, local, handle = f"{first} {last}", f"{first}.{last}".lower(), f"{first}{last}".lower()
        cols["name"].append(name)
        cols["email"].append(f"{local}{k}@{_MAIL_DOMAINS[d]}")
        cols["phone"].append(f"{_PHONE_PREFIXES[p]}{digits[i]:08d}")
        cols["account"].append(f"AC{account[i]:08d}")
        cols["username"].append(f"{handle}_{k}{regions[i]}")
        cols["author_id"].append(str(author[i]))
    return cols


def complaint_text(
    category: str, lang: str, product: str, picks: Sequence[int], phone: str = "", email: str = ""
) -> str:
    """One or two category sentences, maybe a phone number or email address, maybe a closing remark.

    ``picks`` are five non-negative integers choosing the template, second sentence, closing and contact.
    """
    templates = _TEMPLATES[category][lang]
    first = picks[0] % len(templates)
    parts = [templates[first].format(product=product)]
    if picks[1] % 100 < 35:
        second = (first + 1 + picks[1] % (len(templates) - 1)) % len(templates)
        parts.append(templates[second].format(product=product))
    contact = picks[3] % 10
    if contact < 2 and phone:
        parts.append(_CONTACT_PHONE[lang].format(phone=phone))
    elif contact == 2 and email:
        parts.append(_CONTACT_EMAIL[lang].format(email=email))
    parts.append(_CLOSINGS[lang][picks[2] % len(_CLOSINGS[lang])])
    sep = " " if lang == "en" else ""
    return sep.join(p.strip() for p in parts if p.strip())


# --- drawing records --------------------------------------------------------------------------------


def _stream(seed: int, day: dt.date, channel: str, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, day.toordinal(), CHANNELS.index(channel), stream])


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
        # enough for some repeat complainers.
        return max(1_000, self.per_day * 200)

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
    rows["text"] = [
        complaint_text(
            rows["category"][i],
            rows["lang"][i],
            rows["product"][i],
            rows["picks"][i],
            rows["phone"][i],
            rows["email"][i],
        )
        for i in range(n)
    ]
    rows["opening"] = [_OPENINGS[lang][p[4] % 4] for lang, p in zip(rows["lang"], rows["picks"], strict=True)]
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


class _Writer:
    """Writes one channel's files for one day; ``write`` returns where the record landed."""

    channel = ""

    def __init__(self, ctx: _Day, total: int) -> None:
        self.ctx = ctx
        self.dir = ctx.channel_dir(self.channel)
        self.total = total  # records this writer will receive, bad ones included
        self.position = 0
        self.last_id = ""  # the complaint id the pipeline gives the record last written

    def rel(self, path: Path) -> str:
        return path.relative_to(self.ctx.out_dir).as_posix()

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        raise NotImplementedError

    def close(self) -> None:
        """Flush whatever is buffered."""


class _PhoneWriter(_Writer):
    channel = "phone"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.path = self.dir / f"calls_{ctx.day.isoformat()}.csv"
        # The call centre's export tool writes a BOM so spreadsheet programs read the Chinese right.
        self.handle: TextIO = self.path.open("w", encoding="utf-8-sig", newline="")
        self.csv = csv.writer(self.handle)
        self.csv.writerow(PHONE_HEADER)

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        self.last_id = f"PH-CC{self.ctx.ymd}{self.position:07d}"
        row = _phone_row(rows, i, self.last_id[3:])
        if kind == "bad_timestamp":
            row[1] = "not a date"
        elif kind == "satisfaction_out_of_range":
            row[10], row[13] = "closed", "9"
        elif kind == "resolved_before_received":
            received = dt.datetime.fromisoformat(rows["local"][i])
            row[10], row[12] = "resolved", str(received - dt.timedelta(hours=3))
        self.csv.writerow(row)
        return self.rel(self.path), str(self.position)

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """A ticket received earlier, as it stands at the export: one row, whatever changed."""
        self.position += 1
        self.csv.writerow(_phone_row(rows, i, f"CC{received.ymd}{position:07d}"))
        return 1

    def close(self) -> None:
        self.handle.close()


def _phone_row(rows: Rows, i: int, ticket: str) -> list[str]:
    lang = rows["lang"][i]
    notes = rows["opening"][i] + rows["text"][i]
    u0, u1, _ = rows["u"][i]
    if u0 < 0.2:  # agents often quote the caller, which exercises RFC 4180 quote doubling
        notes = f'Caller said: "{notes}"' if lang == "en" else f'来电称："{notes}"'
    if u1 < 0.15:  # and sometimes add a second line
        notes += "\nCallback requested." if lang == "en" else "\n客户要求回电。"
    account = rows["account"][i] if rows["picks"][i][4] % 100 >= 12 else ""
    sat = rows["satisfaction"][i]
    return [
        ticket,
        rows["local"][i],
        rows["name"][i],
        rows["phone"][i],
        account,
        rows["product"][i],
        rows["category"][i],
        str(rows["severity"][i]),
        rows["complexity"][i],
        rows["region"][i],
        rows["status"][i],
        rows["first_local"][i] or "",
        rows["resolved_local"][i] or "",
        "" if sat is None else str(sat),
        str(rows["escalation"][i]),
        f"{rows['compensation'][i]:.2f}",
        "" if rows["handle"][i] is None else f"{rows['handle'][i]:.1f}",
        rows["agent"][i],
        notes,
        rows["updated_local"][i] or "",
    ]


class _WebWriter(_Writer):
    channel = "web"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.path = self.dir / f"submissions_{ctx.day.isoformat()}.jsonl"
        self.handle: TextIO = self.path.open("w", encoding="utf-8", newline="\n")
        self.events: TextIO | None = None

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        self.last_id = f"WB-S{self.ctx.ymd}{self.position:07d}"
        record = _web_record(rows, i, self.last_id[3:])
        if kind == "missing_submitted_at":
            del record["submitted_at"]
        elif kind == "satisfaction_out_of_range":
            record["ticket"]["status"], record["ticket"]["csat"] = "closed", 0
        line = json.dumps(record, ensure_ascii=False)
        if kind == "malformed_json":
            line = line[: len(line) // 2]  # an export cut off mid-record
        self.handle.write(line + "\n")
        return self.rel(self.path), str(self.position)

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """A status event per change: the ticket right after it (rows hold the state at each event in turn)."""
        if self.events is None:
            self.events = (self.dir / f"status_events_{self.ctx.day.isoformat()}.jsonl").open(
                "w", encoding="utf-8", newline="\n"
            )
        for state, (_, at) in zip(rows, events, strict=True):
            record = {
                "submission_id": f"S{received.ymd}{position:07d}",
                "submitted_at": state["iso"][i],
                "event_at": _local_texts(np.array([at]), np.array([True]), self.ctx.clock, "T")[0],
                "ticket": _web_record(state, i, "")["ticket"],
            }
            self.events.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(events)

    def close(self) -> None:
        self.handle.close()
        if self.events is not None:
            self.events.close()


_DEVICES = ("desktop", "mobile", "tablet")


def _web_record(rows: Rows, i: int, submission_id: str) -> dict[str, Any]:
    u0, u1, _ = rows["u"][i]
    keep = rows["picks"][i][4] % 100
    return {
        "submission_id": submission_id,
        "submitted_at": rows["iso"][i],
        "name": rows["name"][i],
        "email": rows["email"][i],
        "phone": rows["phone"][i] if keep % 3 else None,
        "account_no": rows["account"][i] if keep >= 15 else None,
        "product": rows["product"][i],
        "category": rows["category"][i],
        "severity": rows["severity"][i],
        "region": rows["region"][i],
        "description": rows["opening"][i] + rows["text"][i],
        "form": {
            "form_id": "complaint_v3",
            "page": "/support/complaint" if u0 < 0.7 else "/app/feedback",
            "device": _DEVICES[int(u1 * len(_DEVICES))],
            "locale": "zh-CN" if rows["lang"][i] == "zh" else "en-US",
        },
        "ticket": {
            "status": rows["status"][i],
            "complexity": rows["complexity"][i],
            "first_response_at": rows["first_iso"][i],
            "resolved_at": rows["resolved_iso"][i],
            "csat": rows["satisfaction"][i],
            "escalation_level": rows["escalation"][i],
            "compensation": rows["compensation"][i],
            "handle_minutes": rows["handle"][i],
        },
    }


class _EmailWriter(_Writer):
    channel = "email"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.mbox_path: Path | None = None
        self.handle = None
        if total > MBOX_THRESHOLD:
            self.mbox_path = self.dir / f"mailbox_{ctx.day.isoformat()}.mbox"
            self.handle = self.mbox_path.open("wb")

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        msg = _email_message(rows, i, self.position, self.ctx, None if kind in SKIP_KINDS["email"] else kind)
        if kind in SKIP_KINDS["email"]:
            _not_a_complaint(msg, kind)
        self.last_id = f"EM-{hashlib.sha1(str(msg['Message-ID']).strip().encode()).hexdigest()[:16]}"
        return self._put(msg, rows["email"][i], rows["utc"][i])

    def _put_bytes(self, data: bytes, sender: str, epoch: int) -> None:
        if self.handle is None:
            (self.dir / f"{self.position}.eml").write_bytes(data)
            return
        self.handle.write(f"From {sender} {_asctime(epoch)}\n".encode() + data + b"\n")

    def _put(self, msg: EmailMessage, sender: str, epoch: int) -> tuple[str, str]:
        if self.handle is None:
            path = self.dir / f"{self.position}.eml"
            path.write_bytes(msg.as_bytes())
            return self.rel(path), path.name
        msg.set_unixfrom(f"From {sender} {_asctime(epoch)}")
        BytesGenerator(self.handle, mangle_from_=True).flatten(msg, unixfrom=True)
        self.handle.write(b"\n")
        return self.rel(self.mbox_path), str(self.position)

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """The service's replies in the complaint's thread (answered, resolved), and the customer writing
        again when it is reopened."""
        original = _message_id(received, position, rows["email"][i])
        for event, at in events:
            self.position += 1
            customer = event == "reopen"
            sender = rows["email"][i] if customer else COMPANY_MAILBOX
            token = hashlib.sha1(f"{original}/{event}".encode()).hexdigest()[:12]
            domain = sender.split("@")[1]
            headers = [
                f"From: {sender}",
                f"To: {COMPANY_MAILBOX if customer else rows['email'][i]}",
                f"Subject: {'Re: still not fixed' if customer else 'Re: your complaint'}",
                f"Date: {format_datetime(dt.datetime.fromtimestamp(at, tz=self.ctx.clock.tz))}",
                f"Message-ID: <{token}.{event}@{domain}>",
                f"In-Reply-To: {original}",
                f"References: {original}",
                *([] if customer else [f"X-Ticket-Status: {'pending' if event == 'first' else 'solved'}"]),
                "MIME-Version: 1.0",
                'Content-Type: text/plain; charset="utf-8"',
                "Content-Transfer-Encoding: 7bit",
            ]
            body = "It is broken again." if customer else "Thank you for your message; we are on it."
            # Written as text (plain ASCII): building an EmailMessage per reply costs milliseconds each.
            self._put_bytes(("\n".join(headers) + "\n\n" + body + "\n").encode(), sender, at)
        return len(events)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _not_a_complaint(msg: EmailMessage, kind: str) -> None:
    """Turn a drawn message into an auto-reply or a bounce."""
    subject = dict(msg.raw_items())["Subject"]  # as encoded (RFC 2047), not the decoded text
    del msg["Subject"]
    if kind == "auto_reply":
        msg.set_raw("Subject", "Automatic reply: " + subject)
        msg.set_raw("Auto-Submitted", "auto-replied")
    else:
        del msg["From"]
        msg.set_raw("From", "MAILER-DAEMON@mail.example.net")
        msg.set_raw("Subject", "Undelivered Mail Returned to Sender")


def _asctime(epoch: int) -> str:
    """mbox 'From ' line time, spelled out here because strftime's names follow the locale."""
    t = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return f"{WEEKDAY_NAMES[t.weekday()][:3]} {_MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S} {t.year}"


def _email_charset(lang: str, u1: float) -> str:
    if lang == "en":
        return "utf-8"
    return "gbk" if u1 < 0.25 else "gb18030" if u1 < 0.45 else "utf-8"


def _encoded(value: str, charset: str, name: str) -> str:
    """An RFC 2047 header value in the message's own charset, as Chinese mail clients write it."""
    return value if value.isascii() else Header(value, charset, header_name=name).encode()


def _message_id(ctx: _Day, seq: int, address: str) -> str:
    """The Message-ID of the day's seq-th message, sent from address."""
    token = hashlib.sha1(f"{ctx.seed}/{ctx.day}/{seq}".encode()).hexdigest()[:12]
    return f"<{ctx.ymd}{seq:07d}.{token}@{address.split('@')[1]}>"


def _email_message(rows: Rows, i: int, seq: int, ctx: _Day, kind: str | None) -> EmailMessage:
    lang, product = rows["lang"][i], rows["product"][i]
    u0, u1, u2 = rows["u"][i]
    picks = rows["picks"][i]
    charset = _email_charset(lang, u1)
    msg = EmailMessage()
    # set_raw keeps the pre-encoded words as written: assigning msg[...] would re-encode them in UTF-8.
    msg.set_raw("From", formataddr((rows["name"][i], rows["email"][i]), charset=charset))
    msg.set_raw("To", COMPANY_MAILBOX)
    subjects = _SUBJECTS[lang]
    msg.set_raw("Subject", _encoded(subjects[picks[2] % len(subjects)].format(product=product), charset, "Subject"))
    if kind != "missing_date":
        # A tenth of the senders' mail clients are set to UTC; the instant is the same either way.
        offset = 0 if u2 < 0.1 else rows["offset"][i]
        sent = dt.datetime.fromtimestamp(rows["utc"][i], tz=dt.timezone(dt.timedelta(seconds=offset)))
        msg.set_raw("Date", format_datetime(sent))
    token = hashlib.sha1(f"{ctx.seed}/{ctx.day}/{seq}".encode()).hexdigest()[:12]
    msg.set_raw("Message-ID", _message_id(ctx, seq, rows["email"][i]))
    if kind == "empty_body":
        msg.set_content("", charset=charset)
        return msg
    plain, markup = _email_bodies(rows, i)
    if u0 < 0.55:
        msg.set_content(plain, charset=charset)
    elif u0 < 0.93:
        msg.set_content(plain, charset=charset)
        msg.add_alternative(markup.replace("{charset}", charset), subtype="html", charset=charset)
        # The generator would otherwise draw a random boundary, and the files must be byte-identical.
        msg.set_boundary(f"=_{token}{seq:07d}")
    else:
        msg.set_content(markup.replace("{charset}", charset), subtype="html", charset=charset)
    return msg


def _email_bodies(rows: Rows, i: int) -> tuple[str, str]:
    """The text/plain body and its HTML twin, both ending with the mail form's three lines."""
    lang, picks = rows["lang"][i], rows["picks"][i]
    salutation = _SALUTATIONS[lang][picks[4] % 3]
    signoff = _SIGNOFFS[lang][picks[3] % 3]
    form = [f"Product: {rows['product'][i]}", f"Region: {rows['region'][i]}", f"Account: {rows['account'][i]}"]
    plain = f"{salutation}\n\n{rows['text'][i]}\n\n{signoff}\n{rows['name'][i]}\n\n" + "\n".join(form) + "\n"
    esc = html.escape
    markup = (
        '<html><head><meta charset="{charset}"></head><body>\n'
        f"<p>{esc(salutation)}</p>\n<p>{esc(rows['text'][i])}</p>\n"
        f"<p>{esc(signoff)}<br>\n{esc(rows['name'][i])}</p>\n"
        "<p>" + "<br>\n".join(esc(line) for line in form) + "</p>\n</body></html>\n"
    )
    return plain, markup


class _SocialWriter(_Writer):
    channel = "social"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.pages = max(1, -(-total // SOCIAL_PAGE_SIZE))
        self.posts: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, str]] = {}
        self.last_post_id: str | None = None

    def page_path(self, page: int) -> Path:
        return self.dir / f"posts_{self.ctx.day.isoformat()}_{page}.json"

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        page, index = divmod(self.position - 1, SOCIAL_PAGE_SIZE)
        post = _social_post(rows, i, self.position)
        self.last_id = f"SO-{post['id']}"
        if kind == "repost":
            post["referenced_tweets"] = [{"type": "retweeted", "id": self.last_post_id or post["id"]}]
            post["text"] = "RT " + post["text"]
        else:
            self.last_post_id = post["id"]
        if kind == "empty_text":
            post["text"] = ""
        elif kind == "missing_created_at":
            del post["created_at"]
        self.posts.append(post)
        self.users.setdefault(
            post["author_id"],
            {
                "id": post["author_id"],
                "username": rows["username"][i],
                "name": rows["name"][i],
                "location": rows["region"][i].title(),
            },
        )
        if len(self.posts) == SOCIAL_PAGE_SIZE:
            self._flush(page + 1)
        return self.rel(self.page_path(page + 1)), f"{page + 1}:{index + 1}"

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """The author posting again in their complaint's conversation when it is reopened."""
        root = _social_post(rows, i, position)
        for _, at in events:
            self.position += 1
            page = (self.position - 1) // SOCIAL_PAGE_SIZE
            millis = at * 1000 + (self.position * 7) % 1000
            post_id = ((millis - _SNOWFLAKE_EPOCH_MS) << 22) | (self.position & 0x3FFFFF)
            text = f"{COMPANY_HANDLE} still not fixed: {rows['product'][i]} {root['text'].rsplit(' ', 1)[-1]}"
            created = np.datetime_as_string(np.datetime64(at, "s")) + ".000Z"
            self.posts.append(
                root
                | {"id": str(post_id), "text": text, "created_at": created}
                | {"conversation_id": root["id"], "in_reply_to_user_id": root["author_id"]}
            )
            if len(self.posts) == SOCIAL_PAGE_SIZE:
                self._flush(page + 1)
        return len(events)

    def close(self) -> None:
        if self.posts or self.position == 0:
            self._flush(self.position // SOCIAL_PAGE_SIZE + 1)

    def _flush(self, page: int) -> None:
        meta: dict[str, Any] = {"result_count": len(self.posts)}
        if self.posts:
            meta["newest_id"] = max(self.posts, key=lambda p: int(p["id"]))["id"]
            meta["oldest_id"] = min(self.posts, key=lambda p: int(p["id"]))["id"]
        if page < self.pages:
            meta["next_token"] = hashlib.sha1(f"{self.ctx.seed}/{self.ctx.day}/{page}".encode()).hexdigest()[:16]
        body = {"data": self.posts, "includes": {"users": list(self.users.values())}, "meta": meta}
        self.page_path(page).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        self.posts, self.users = [], {}


def _social_post(rows: Rows, i: int, seq: int) -> dict[str, Any]:
    # Snowflake-style id: time in the high bits, the day's sequence number in the low 22 bits.
    millis = rows["utc"][i] * 1000 + (seq * 7) % 1000
    post_id = ((millis - _SNOWFLAKE_EPOCH_MS) << 22) | (seq & 0x3FFFFF)
    # Each customer quotes their own order reference, so two posts are never exact copies by chance
    # (the pipeline folds exact copies into one signal). A letter first keeps it out of phone masking.
    reference = f"#R{post_id % 16**8:08X}"
    text = f"{COMPANY_HANDLE} {rows['opening'][i]}{rows['text'][i]} {reference}"
    retweets, replies, likes, quotes = rows["metrics"][i]
    return {
        "id": str(post_id),
        "text": text,
        "author_id": rows["author_id"][i],
        "created_at": rows["utc_iso"][i],
        "lang": rows["lang"][i],
        "public_metrics": {
            "retweet_count": retweets,
            "reply_count": replies,
            "like_count": likes,
            "quote_count": quotes,
        },
    }


# Only the call centre and the web form carry a ticket with handling fields.
_HANDLED_CHANNELS = ("phone", "web")
_WRITERS: dict[str, type[_Writer]] = {
    "phone": _PhoneWriter,
    "email": _EmailWriter,
    "web": _WebWriter,
    "social": _SocialWriter,
}


# --- one channel, one day ---------------------------------------------------------------------------


@dataclass
class _ChannelResult:
    generated: int
    bad: int
    bad_records: list[dict[str, str]]
    dimension_counts: dict[str, np.ndarray]
    skipped: int = 0
    skipped_records: list[dict[str, str]] = field(default_factory=list)
    updates: int = 0  # records that are later versions of complaints received on earlier days (or today)
    lives: list[list[str]] = field(default_factory=list)  # LIVES_HEADER rows of the day's good complaints


def _chunk_bounds(minute_counts: np.ndarray) -> list[tuple[int, int]]:
    """Split the day into runs of whole minutes holding about CHUNK_SIZE base records each."""
    bounds, first, acc = [], 0, 0
    for minute, count in enumerate(minute_counts.tolist()):
        acc += count
        if acc >= CHUNK_SIZE:
            bounds.append((first, minute + 1))
            first, acc = minute + 1, 0
    if first < len(minute_counts) or not bounds:
        bounds.append((first, len(minute_counts)))
    return bounds


def _expand(minute_counts: np.ndarray, first: int, last: int) -> np.ndarray:
    return np.repeat(np.arange(first, last), minute_counts[first:last])


def _surge_extras(
    ctx: _Day, channel: str, surges: Sequence[Surge], rng: np.random.Generator
) -> list[tuple[tuple[str, int] | None, np.ndarray]]:
    """Extra records per active surge: (field fixed to the surge value, extra records per minute)."""
    expected = expected_volume(ctx.day, ctx.per_day, ctx.country, channel)
    extras = []
    for surge in surges:
        if surge.dimension == "channel":
            if surge.value != channel:
                continue
            lam, fixed = (surge.multiplier - 1) * expected, None
        else:
            lam = (surge.multiplier - 1) * expected * _dimension_share(surge.dimension, surge.value)
            fixed = (surge.dimension, _DIMENSION_VALUES[surge.dimension].index(surge.value))
        extras.append((fixed, rng.multinomial(rng.poisson(lam), _MINUTE_PROFILE)))
    return extras


def _good_chunks(ctx: _Day, channel: str, surges: Sequence[Surge]) -> tuple[int, Iterator[Batch]]:
    """How many good records the channel gets that day, and the records in time-ordered chunks."""
    base_rng, extra_rng = _stream(ctx.seed, ctx.day, channel, _BASE), _stream(ctx.seed, ctx.day, channel, _EXTRA)
    n_base = int(base_rng.poisson(expected_volume(ctx.day, ctx.per_day, ctx.country, channel)))
    base_minutes = base_rng.multinomial(n_base, _MINUTE_PROFILE)
    extras = _surge_extras(ctx, channel, surges, extra_rng)
    total = n_base + sum(int(m.sum()) for _, m in extras)

    def chunks() -> Iterator[Batch]:
        # Chunk borders come from the base records alone, so surges never change the base draws.
        for first, last in _chunk_bounds(base_minutes):
            parts = [_draw_batch(base_rng, _expand(base_minutes, first, last), ctx.pool, None)]
            parts += [_draw_batch(extra_rng, _expand(m, first, last), ctx.pool, f) for f, m in extras]
            yield _merge(parts)

    return total, chunks()


_AT_REGISTRATION = 0  # an as_of before any event: a record as it was registered


def _active(surges: Sequence[Surge], day: dt.date) -> tuple[Surge, ...]:
    return tuple(s for s in surges if s.covers(day))


# Which events of a complaint's life each channel's source sends as records of their own.
_UPDATE_EVENTS: dict[str, tuple[str, ...]] = {
    "phone": _EVENTS,  # the ticket as it stands, whenever anything changed
    "web": _EVENTS,  # a status event per change
    "email": ("first", "resolve", "reopen", "again"),  # the service's replies; the customer writing again
    "social": ("reopen",),  # the author posting again
}


def _write_updates(ctx: _Day, channel: str, surges: Sequence[Surge], first_day: dt.date, writer: _Writer) -> int:
    """What changed during ctx.day in the lives of the complaints received from first_day on, up to LIFE_DAYS
    before (and on the day itself, for sources that send each change): written by the channel's writer, as
    its source sends it. Returns how many records were written."""
    since, until = ctx.earlier(1).export_epoch, ctx.export_epoch
    handling = channel in _HANDLED_CHANNELS
    written = 0
    for back in range(0 if channel != "phone" else 1, LIFE_DAYS + 1):
        received = ctx.earlier(back)
        if received.day < first_day:
            break
        n_good, chunks = _good_chunks(received, channel, _active(surges, received.day))
        positions = _misfits(received, channel, n_good).good_positions(n_good)
        done = 0
        for batch in chunks:
            utc = (
                received.local_midnight
                + batch["secs"]
                - received.clock.local_offsets(received.day)[batch["secs"] // 3600]
            )
            life = _life(batch, utc)
            changed = {e: (life[e] > since) & (life[e] <= until) for e in _UPDATE_EVENTS[channel]}
            if "resolve" in changed:  # resolved in the first contact: one record says both, at one moment
                changed["first"] &= life["first"] != life["resolve"]
            idx = np.flatnonzero(np.logical_or.reduce(list(changed.values())))
            if len(idx) and channel == "web":  # a status event per change: the ticket right after it
                for event in _UPDATE_EVENTS[channel]:
                    hit = idx[changed[event][idx]]
                    rows = _rows({k: v[hit] for k, v in batch.items()}, received, handling, life[event][hit])
                    for j, index in enumerate(hit.tolist()):
                        at = [(event, int(life[event][index]))]
                        written += writer.write_update([rows], j, received, int(positions[done + index]), at)
            elif len(idx):  # the complaint as it stands at the export, with what changed
                rows = _rows({k: v[idx] for k, v in batch.items()}, received, handling, until)
                for j, index in enumerate(idx.tolist()):
                    events = [(e, int(life[e][index])) for e in _UPDATE_EVENTS[channel] if changed[e][index]]
                    written += writer.write_update(rows, j, received, int(positions[done + index]), events)
            done += len(batch["secs"])
    return written


@dataclass
class _Misfits:
    """Where a channel's day puts its bad records and its non-complaints (0-based positions in the file)."""

    bad_rng: np.random.Generator
    bad_at: list[int]
    bad_kinds: list[str]
    skip_rng: np.random.Generator
    skip_at: list[int]
    skip_kinds: list[str]

    def good_positions(self, n_good: int) -> np.ndarray:
        """The 1-based file position of each good record, in the order they are drawn."""
        free = np.ones(n_good + len(self.bad_at) + len(self.skip_at), dtype=bool)
        free[self.bad_at + self.skip_at] = False
        return np.flatnonzero(free) + 1


def _misfits(ctx: _Day, channel: str, n_good: int) -> _Misfits:
    bad_rng = _stream(ctx.seed, ctx.day, channel, _BAD)
    n_bad = max(1, int(bad_rng.binomial(n_good, BAD_RATE))) if n_good else 0
    bad_at = np.sort(bad_rng.choice(n_good + n_bad, n_bad, replace=False)).tolist()  # 0-based positions
    kinds = BAD_KINDS[channel]
    bad_kinds = [kinds[k] for k in bad_rng.integers(0, len(kinds), n_bad).tolist()]
    # Non-complaints (own random stream, so the bad records stay as they were) at positions no bad record holds.
    skip_rng = _stream(ctx.seed, ctx.day, channel, _SKIP)
    skip_choices = SKIP_KINDS[channel]
    n_skip = int(skip_rng.binomial(n_good, SKIP_RATE)) if skip_choices and n_good else 0
    free = np.ones(n_good + n_bad + n_skip, dtype=bool)
    free[bad_at] = False
    skip_at = np.sort(skip_rng.choice(np.flatnonzero(free), n_skip, replace=False)).tolist() if n_skip else []
    skip_kinds = [skip_choices[k] for k in skip_rng.integers(0, len(skip_choices), n_skip).tolist()]
    return _Misfits(bad_rng, bad_at, bad_kinds, skip_rng, skip_at, skip_kinds)


def _write_channel(
    ctx: _Day, channel: str, surges: Sequence[Surge], first_day: dt.date | None = None
) -> _ChannelResult:
    n_good, chunks = _good_chunks(ctx, channel, _active(surges, ctx.day))
    misfits = _misfits(ctx, channel, n_good)
    bad_rng, bad_at, bad_kinds = misfits.bad_rng, misfits.bad_at, misfits.bad_kinds
    skip_rng, skip_at, skip_kinds = misfits.skip_rng, misfits.skip_at, misfits.skip_kinds
    n_bad, n_skip = len(bad_at), len(skip_at)
    bad_minutes = np.sort(bad_rng.choice(1440, n_bad, p=_MINUTE_PROFILE))
    handling = channel in _HANDLED_CHANNELS
    # A form is written as it was submitted; its changes follow as status events.
    as_of = _AT_REGISTRATION if channel == "web" else None
    bad_rows = _rows(_draw_batch(bad_rng, bad_minutes, ctx.pool, None), ctx, handling, as_of)
    skip_rows = _rows(
        _draw_batch(skip_rng, np.sort(skip_rng.choice(1440, n_skip, p=_MINUTE_PROFILE)), ctx.pool, None), ctx, False
    )

    directory = ctx.channel_dir(channel)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    writer = _WRITERS[channel](ctx, n_good + n_bad + n_skip)
    result = _ChannelResult(n_good + n_bad + n_skip, n_bad, [], _zero_dimension_counts(), n_skip, [])
    next_bad = next_skip = 0

    def write_due_bad() -> None:
        nonlocal next_bad, next_skip
        while True:
            if next_bad < n_bad and bad_at[next_bad] == writer.position:
                source_file, position = writer.write(bad_rows, next_bad, bad_kinds[next_bad])
                result.bad_records.append(
                    {"channel": channel, "source_file": source_file, "position": position, "kind": bad_kinds[next_bad]}
                )
                next_bad += 1
            elif next_skip < n_skip and skip_at[next_skip] == writer.position:
                source_file, position = writer.write(skip_rows, next_skip, skip_kinds[next_skip])
                result.skipped_records.append(
                    {
                        "channel": channel,
                        "source_file": source_file,
                        "position": position,
                        "kind": skip_kinds[next_skip],
                    }
                )
                next_skip += 1
            else:
                return

    for batch in chunks:
        _count_dimensions(result.dimension_counts, batch)
        for low in range(0, len(batch["secs"]), ROW_SLICE):
            part = {k: v[low : low + ROW_SLICE] for k, v in batch.items()}
            rows = _rows(part, ctx, handling, as_of)
            life = _life(part, rows["_utc"])
            for i in range(len(rows["utc"])):
                write_due_bad()
                writer.write(rows, i, None)
                result.lives.append(_life_line(writer.last_id, channel, rows["_utc"][i], life, i, part))
    write_due_bad()
    if first_day is not None:
        result.updates = _write_updates(ctx, channel, surges, first_day, writer)
        result.generated += result.updates
    writer.close()
    return result


# A complaint's whole life as drawn, whatever its channel's source tells of it (phone and web: all of it;
# email: the responses, resolutions and the customer writing again; social: only the author posting again).
LIVES_HEADER = (
    "complaint_id",
    "channel",
    "received_at",
    "first_response_at",
    "resolved_at",
    "reopened_at",
    "resolved_again_at",
    "closed_at",
    "satisfaction_score",
)


def _life_line(complaint_id: str, channel: str, received: int, life: dict, i: int, batch: Batch) -> list[str]:
    def moment(epoch: int) -> str:
        return "" if epoch >= _NEVER else dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

    score = int(batch["satisfaction"][i])
    return [
        complaint_id,
        channel,
        moment(received),
        *(moment(life[e][i]) for e in _EVENTS),
        str(score) if score else "",
    ]


def _zero_dimension_counts() -> dict[str, np.ndarray]:
    return {d: np.zeros(len(_DIMENSION_VALUES[d]), dtype=np.int64) for d in ("category", "product", "region")}


def _count_dimensions(counts: dict[str, np.ndarray], batch: Batch) -> None:
    for dimension, tally in counts.items():
        tally += np.bincount(batch[dimension], minlength=len(tally))


# --- days and ranges --------------------------------------------------------------------------------


def generate_day(
    day: dt.date,
    out_dir: Path,
    per_day: int = 2000,
    seed: int = 42,
    country: str = "CN",
    local_tz: str = DEFAULT_TZ,
    surges: Sequence[Surge] = (),
    first_day: dt.date | None = None,
) -> DaySummary:
    """Write one day's files for every channel and its ground truth; ``surges`` may include inactive ones.
    With first_day, the files also hold that day's changes to complaints received from first_day on."""
    ctx = _Day(day, seed, per_day, country, _Clock(local_tz), Path(out_dir))
    active = _active(surges, day)
    results = {channel: _write_channel(ctx, channel, surges, first_day) for channel in CHANNELS}
    holiday = is_holiday(day, country)
    _write_json(
        ctx.out_dir / "_ground_truth" / f"{day.isoformat()}.json",
        {
            "date": day.isoformat(),
            "seed": seed,
            "per_day": per_day,
            "country": country,
            "local_tz": local_tz,
            "is_holiday": holiday,
            "weekday": WEEKDAY_NAMES[day.weekday()],
            # generated: every record written (new complaints, bad records, non-complaints, and updates:
            # later versions of complaints received on earlier days or earlier that day)
            "counts": {
                ch: {"generated": r.generated, "bad": r.bad, "skipped": r.skipped, "updates": r.updates}
                for ch, r in results.items()
            },
            "surges": [s.as_json() for s in active],
            "bad_records": [b for r in results.values() for b in r.bad_records],
            "skipped_records": [b for r in results.values() for b in r.skipped_records],
            "dimension_counts": _dimension_counts_json(results),
        },
    )
    lives = ctx.out_dir / "_ground_truth" / "lives" / f"{day.isoformat()}.csv"
    lives.parent.mkdir(parents=True, exist_ok=True)
    with lives.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LIVES_HEADER)
        writer.writerows(line for r in results.values() for line in r.lives)
    counts = {ch: ChannelCount(r.generated, r.bad, r.updates) for ch, r in results.items()}
    return DaySummary(day, holiday, counts, active)


def count_day(
    day: dt.date, per_day: int = 2000, seed: int = 42, country: str = "CN", surges: Sequence[Surge] = ()
) -> dict[str, dict[str, int]]:
    """The good records per channel, category, product and region that ``generate_day`` would write, unwritten.

    The same random streams, so the counts equal the day's ground truth ``dimension_counts``; for evaluating
    surge detection on long ranges without writing (or ingesting) their files.
    """
    ctx = _Day(day, seed, per_day, country, _Clock("UTC"), Path())
    active = tuple(s for s in surges if s.covers(day))
    results = {}
    for channel in CHANNELS:
        n_good, chunks = _good_chunks(ctx, channel, active)
        result = _ChannelResult(n_good, 0, [], _zero_dimension_counts())
        for batch in chunks:
            _count_dimensions(result.dimension_counts, batch)
        results[channel] = result
    return _dimension_counts_json(results)


def _dimension_counts_json(results: dict[str, _ChannelResult]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for dimension in ("category", "product", "region"):
        total = sum(r.dimension_counts[dimension] for r in results.values())
        out[dimension] = dict(zip(_DIMENSION_VALUES[dimension], (int(x) for x in total), strict=True))
    out["channel"] = {ch: r.generated - r.bad - r.skipped - r.updates for ch, r in results.items()}
    return out


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def generate(
    start: dt.date,
    end: dt.date,
    out_dir: Path,
    per_day: int = 2000,
    seed: int = 42,
    country: str = "CN",
    local_tz: str = DEFAULT_TZ,
    surges: Sequence[Surge] | None = None,
    on_day: Callable[[DaySummary], None] | None = None,
) -> GenerationSummary:
    """Write every day from ``start`` to ``end`` (inclusive) under ``out_dir``.

    Each (seed, day, channel) draws from its own random streams, so a day's files are the same whatever
    range it is generated in, unless a randomly chosen surge (which depends on the range) covers it.

    ``surges=None`` chooses surges from the seed for the range; ``[]`` means none; a list forces those.
    ``on_day`` is called after each day is written (the CLI prints progress with it).
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if per_day < 0:
        raise ValueError(f"per_day must be >= 0, got {per_day}")
    out_dir = Path(out_dir)
    chosen = choose_surges(start, end, seed, country) if surges is None else list(surges)
    summary = GenerationSummary(start, end, seed, per_day, chosen)
    _write_json(
        out_dir / "_ground_truth" / "surges.json",
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "seed": seed,
            "surges": [s.as_json() for s in chosen],
        },
    )
    for k in range((end - start).days + 1):
        day = start + dt.timedelta(days=k)
        day_summary = generate_day(day, out_dir, per_day, seed, country, local_tz, chosen, first_day=start)
        summary.days.append(day_summary)
        if on_day is not None:
            on_day(day_summary)
    return summary


# --- command line -----------------------------------------------------------------------------------


def _day_line(d: DaySummary) -> str:
    counts = " ".join(f"{ch}={c.generated}" for ch, c in d.counts.items())
    bad = sum(c.bad for c in d.counts.values())
    flags = " holiday" if d.is_holiday else ""
    surges = "".join(f" surge={s.dimension}:{s.value}x{s.multiplier}" for s in d.surges)
    return f"{d.day.isoformat()} {WEEKDAY_NAMES[d.day.weekday()][:3]} {counts} total={d.total} bad={bad}{flags}{surges}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m complaints_pipeline.sample_data", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--start", required=True, type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=dt.date.fromisoformat, help="last day, inclusive")
    parser.add_argument("--out", required=True, type=Path, help="landing root, e.g. var/landing")
    parser.add_argument("--per-day", type=int, default=2000, help="records on an ordinary weekday (default 2000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--country", default="CN", help="public holidays of this country (default CN)")
    parser.add_argument("--local-tz", default=DEFAULT_TZ, help="call-centre time zone")
    args = parser.parse_args(argv)
    summary = generate(
        args.start,
        args.end,
        args.out,
        per_day=args.per_day,
        seed=args.seed,
        country=args.country,
        local_tz=args.local_tz,
        on_day=lambda d: print(_day_line(d), flush=True),
    )
    for s in summary.surges:
        print(f"surge {s.start} +{s.days}d {s.dimension}={s.value} x{s.multiplier}")
    print(
        f"total {summary.total} records ({summary.total_updates} updates of complaints already registered,"
        f" {summary.total_bad} bad) over {len(summary.days)} days in {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
