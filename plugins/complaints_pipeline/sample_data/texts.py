"""Complaint texts and customers: templates in English and Chinese, names, contacts, salutations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from complaints_pipeline.reference import (
    REGIONS,
)
from complaints_pipeline.sample_data.parameters import Rows

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
