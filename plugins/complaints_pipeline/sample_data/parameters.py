"""The generator's parameters: volume and its weekly and holiday shape, surges and bad records, handling."""

from __future__ import annotations

from typing import Any

import numpy as np

from complaints_pipeline.reference import (
    CATEGORIES,
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


# Random streams per (seed, day, channel): base records, surge extras, bad records.
_BASE, _EXTRA, _BAD, _SKIP = 0, 1, 2, 3
_SURGE_PLAN_STREAM = 99
_SNOWFLAKE_EPOCH_MS = 1288834974657  # X's id epoch
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Batch = dict[str, np.ndarray]
Rows = dict[str, list[Any]]
