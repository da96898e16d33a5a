"""Reference data shared by the sample generator, the parsers and the dbt seeds.

Channels, categories, products and regions are named once here so the generator writes what the
parsers and the marts expect.
"""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("phone", "email", "web", "social")

# Share of the daily volume each channel carries.
CHANNEL_SHARE: dict[str, float] = {"phone": 0.40, "web": 0.30, "email": 0.20, "social": 0.10}

CHANNEL_PREFIX: dict[str, str] = {"phone": "PH", "email": "EM", "web": "WB", "social": "SO"}

# Where a channel's records come from, when the channel has several kinds of file: the day gate judges each
# source on its own history, and a rule that makes no sense for a source is not applied to it.
CHANNEL_SOURCES: dict[str, str] = {"phone": "call_export", "email": "mailbox", "web": "form", "social": "posts"}
RECORD_SOURCES: tuple[str, ...] = (*CHANNEL_SOURCES.values(), "cfpb")

# The domain guide's typical split (product 40 %, service 30 %, logistics 20 %, billing 10 %),
# with a small share carved out for policy misunderstandings.
CATEGORY_SHARE: dict[str, float] = {
    "product_quality": 0.38,
    "service_attitude": 0.28,
    "delivery_logistics": 0.19,
    "billing_dispute": 0.10,
    "policy_misunderstanding": 0.05,
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_SHARE)

PRODUCTS: tuple[str, ...] = (
    "smartphone",
    "laptop",
    "router",
    "smart_tv",
    "broadband_plan",
    "mobile_plan",
)

REGIONS: tuple[str, ...] = (
    "beijing",
    "shanghai",
    "guangzhou",
    "shenzhen",
    "chengdu",
    "wuhan",
    "xian",
    "hangzhou",
)

STATUSES: tuple[str, ...] = ("open", "in_progress", "resolved", "closed", "reopened")
COMPLEXITIES: tuple[str, ...] = ("general", "complex")
LANGUAGES: tuple[str, ...] = ("en", "zh")
