"""The CRM's customer export, the fifth landing source: every customer of the sample with what they bought.

Written at the end of a generated range (landing/crm/<date>/customers_<date>.csv), one row per customer of the
pool the complaints draw from, keyed by the account number the phone and web records carry. Each customer's
purchases are a fixed scramble of their number (the same every day): most bought once or twice, a few often.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from complaints_pipeline.sample_data.texts import _mix

CRM_HEADER = ("customer_id", "first_purchase_date", "last_purchase_date", "orders", "spend")
_CRM_SALT = 77


def crm_path(out_dir: Path, day: dt.date) -> Path:
    return out_dir / "crm" / day.isoformat() / f"customers_{day.isoformat()}.csv"


def write_crm_export(out_dir: Path, day: dt.date, pool: int, seed: int) -> Path:
    """The export as of the end of `day`: customers 0..pool-1 (their account numbers as the complaints carry
    them), their first and last purchase, orders and spend."""
    customer = np.arange(pool, dtype=np.int64)
    h1, h2 = _mix(customer, seed + _CRM_SALT), _mix(customer, seed + _CRM_SALT + 1)
    u1 = (h1 >> np.uint64(11)).astype(np.float64) / 2.0**53
    u2 = (h2 >> np.uint64(11)).astype(np.float64) / 2.0**53
    u3 = ((h1 ^ h2) >> np.uint64(11)).astype(np.float64) / 2.0**53
    # Orders: geometric, 1 at least (about 35 % buy once); spend per order log-normal around 150.
    orders = 1 + np.floor(np.log1p(-u1) / np.log(0.65)).astype(np.int64)
    per_order = np.exp(np.log(150.0) + 0.8 * _normal(u2))
    spend = np.round(orders * per_order, 2)
    # Days since the last purchase: exponential, about 90 on average (within 3 years); the first earlier by
    # 10 to 70 days per further order.
    recency = np.minimum(np.floor(-90.0 * np.log1p(-u3)), 3 * 365).astype(np.int64)
    span = (orders - 1) * (10 + (h2 % np.uint64(61)).astype(np.int64))
    account = ((customer * 48271 + 12345 + seed * 7) % 10**8).tolist()  # as texts._customer_columns
    path = crm_path(out_dir, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordinal = day.toordinal()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CRM_HEADER)
        for number, r, s, n, amount in zip(
            account, recency.tolist(), span.tolist(), orders.tolist(), spend.tolist(), strict=True
        ):
            last = dt.date.fromordinal(ordinal - r)
            first = dt.date.fromordinal(ordinal - r - s)
            writer.writerow((f"AC{number:08d}", first.isoformat(), last.isoformat(), n, f"{amount:.2f}"))
    return path


def _normal(u: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of uniforms (an approximation good to 4.5e-4: Abramowitz and Stegun 26.2.23)."""
    p = np.clip(u, 1e-12, 1 - 1e-12)
    q = np.where(p < 0.5, p, 1 - p)
    t = np.sqrt(-2 * np.log(q))
    z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t**3)
    return np.where(p < 0.5, -z, z)
