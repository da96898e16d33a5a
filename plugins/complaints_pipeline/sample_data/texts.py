"""Complaint texts and customers: templates in English and Chinese, names, contacts, salutations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from complaints_pipeline.reference import (
    REGIONS,
)
from complaints_pipeline.sample_data.parameters import Rows

# The words are data, in texts.json beside this module: category keywords, sentence templates, neutral fillers
# and the made-up customers' names.
_WORDS = json.loads((Path(__file__).with_name("texts.json")).read_text(encoding="utf-8"))


def _by_language(group: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {lang: tuple(values) for lang, values in group.items()}


# What a rule-based categoriser can look for. Every generated complaint text holds at least one keyword
# of its own category and no keyword (as a case-insensitive substring) of any other category.
CATEGORY_KEYWORDS: dict[str, dict[str, list[str]]] = _WORDS["category_keywords"]
# One sentence each; {product} is the reference product name, verbatim.
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {c: _by_language(t) for c, t in _WORDS["templates"].items()}
# Neutral fillers: none may contain a category keyword.
OPENINGS, CLOSINGS = _by_language(_WORDS["openings"]), _by_language(_WORDS["closings"])
SALUTATIONS, SIGNOFFS = _by_language(_WORDS["salutations"]), _by_language(_WORDS["signoffs"])
SUBJECTS = _by_language(_WORDS["subjects"])
_CONTACT_PHONE: dict[str, str] = _WORDS["contact_phone"]
_CONTACT_EMAIL: dict[str, str] = _WORDS["contact_email"]
_EN_GIVEN, _EN_FAMILY = tuple(_WORDS["names"]["en_given"]), tuple(_WORDS["names"]["en_family"])
# (characters, pinyin): the pinyin makes email addresses and user names.
_ZH_FAMILY = tuple(tuple(pair) for pair in _WORDS["names"]["zh_family"])
_ZH_GIVEN = tuple(tuple(pair) for pair in _WORDS["names"]["zh_given"])
_MAIL_DOMAINS, _PHONE_PREFIXES = tuple(_WORDS["mail_domains"]), tuple(_WORDS["phone_prefixes"])
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
    templates = TEMPLATES[category][lang]
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
    parts.append(CLOSINGS[lang][picks[2] % len(CLOSINGS[lang])])
    sep = " " if lang == "en" else ""
    return sep.join(p.strip() for p in parts if p.strip())


# Copy campaigns: (category, letter by language), and the personal lines a sender may add.
CAMPAIGN_LETTERS: tuple[tuple[str, dict[str, str]], ...] = tuple(
    (letter["category"], {lang: letter[lang] for lang in ("en", "zh")}) for letter in _WORDS["campaign_letters"]
)
_CAMPAIGN_PERSONAL = _by_language(_WORDS["campaign_personal"])


def campaign_text(letter: int, lang: str, picks: Sequence[int], product: str) -> str:
    """A copy of a campaign letter about a product as one sender sent it: an opening, the letter, maybe a
    personal line."""
    personal = _CAMPAIGN_PERSONAL[lang][picks[1] % len(_CAMPAIGN_PERSONAL[lang])]
    body = CAMPAIGN_LETTERS[letter][1][lang].format(product=product)
    parts = [OPENINGS[lang][picks[4] % len(OPENINGS[lang])], body, personal]
    sep = " " if lang == "en" else ""
    return sep.join(p.strip() for p in parts if p.strip())
