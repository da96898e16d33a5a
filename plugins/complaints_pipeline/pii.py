"""Personal data protection: keyed hashing of identities and masking inside free text.

Names, phone numbers, email addresses, handles, street addresses and account numbers never reach the
warehouse in clear. mask_text() masks, in this order:

1. email addresses -> [email];
2. the record's own identities wherever they appear (the sender's or caller's name and each part of it,
   account numbers, handles), passed in by the parser -> [name], [account], [handle];
3. the name lines of a sign-off block ("Regards,\\nPaul Clark", "此致\\n敬礼\\n王娜"), the name after a
   title (Mr, Mrs, Ms, Mx, Dr, Prof; not Miss, Sir or Madam, which are words too), after "my name is" /
   "name:" / 我叫 / 姓名, and before 先生 / 女士 -> [name];
4. @-handles other than the service's own (COMPLAINTS_SERVICE_HANDLES) -> [handle];
5. street addresses in English and Chinese forms -> [address];
6. runs of 8 or more digits (phone numbers; after "account", 账号 and the like: account numbers) ->
   [phone] / [account].

Kept, because the analysis needs them: dates and times (2026-11-02, 02-11-2026 14:30), amounts after a
currency sign or code, order, ticket and reference numbers and statutes (15 USC 1681) after their label,
and every other word. Known false masking, seen on real CFPB narratives: a company named like a person
("Mr. Cooper", a mortgage servicer) loses its name.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from functools import lru_cache

# Mainland mobile numbers, international numbers and dashed/spaced landlines: 8+ digits in a run.
# Boundaries are ASCII on purpose: in Chinese text a number follows a letter directly (电话13812345678).
_PHONE = r"(?<![A-Za-z0-9@._-])\+?\d[\d\- ]{6,}\d(?![A-Za-z0-9@])"
# A date, with its time of day, is tried first where a run starts: 2026-11-02 is not a phone number.
_DATE = r"(?<!\d)(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?(?!\d)"
_NUMBER_RUN = re.compile(f"(?P<date>{_DATE})|{_PHONE}")
# What a number run is, by the words just before it.
_KEPT_LABEL = re.compile(
    r"(?:[$€£¥￥§]|\b(?:USD|CNY|RMB|EUR|GBP|HKD|order|orders|ticket|invoice|ref|reference|tracking|case|"
    r"complaint|parcel|no|number|U\.?S\.?C|CFR|section)\b\.?|订单|单号|工单|编号|金额)[\s.:#：№-]*(?:no\.?|number|号)?[\s.:#：-]*$",
    re.IGNORECASE,
)
_ACCOUNT_LABEL = re.compile(
    r"(?:\b(?:account|acct|a/c|card|iban|member(?:ship)?|customer)\b|账号|账户|帐号|卡号|会员号|客户号)"
    r"[\s.:#：№-]*(?:no\.?|number|号|是|为)?[\s.:#：-]*$",
    re.IGNORECASE,
)
# The lookbehind lets a match start only where a run of address characters starts: without it, a long
# run with no "@" (a 1 MB note of letters) is rescanned from every position, quadratic time.
# The top-level domain starts with a letter: "Interest@30.5 %" is no address.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_][\w-]*")
_HANDLE = re.compile(r"(?<![\w.@])@[\w-]{1,30}")

# A sign-off line, then up to three name lines before a blank line. A name line is at most five words
# with no digit, colon or sentence end: "I look forward to hearing from you." is not a name.
_EN_SIGNOFF = (
    r"(?:(?:kind|best|warm|warmest|many|with)\s+)?(?:regards|wishes|thanks|thank\s+you|cheers|sincerely|"
    r"yours(?:\s+(?:sincerely|faithfully|truly))?|respectfully|best|cordially)"
)
_ZH_SIGNOFF = r"(?:此致|敬礼|此致敬礼|谢谢|感谢|多谢|盼复|祝好|顺祝商祺|敬上|谨上)"
_NAME_LINE = r"[ \t]*[^\W\d_][^\d\n:：@.!?。！？,，;；]{0,40}?[ \t]*"
_SIGNOFF_BLOCK = re.compile(
    rf"(?im)^([ \t>]*(?:{_EN_SIGNOFF}|{_ZH_SIGNOFF})[ \t]*[,，.。!！:：]?[ \t]*)"
    rf"((?:\n(?:[ \t]*{_ZH_SIGNOFF}[ \t]*[!！]?[ \t]*\n)?{_NAME_LINE}(?=\n|$)){{1,3}})"
)
_SIGNOFF_SAME_LINE = re.compile(
    rf"(?im)^([ \t>]*(?:{_EN_SIGNOFF})[ \t]*[,，-][ \t]*)([A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’.-]*){{0,3}})[ \t]*$"
)
# A capitalised word that is a name's, not a form's next label ("Account name : XXXX Account number").
_NAME_WORD = r"(?!(?:Account|Number|Date|Address|E-?mail|Phone|Opened|Balance|Type|Status|Card)\b)[A-Z][\w'’-]+"
_TITLED = re.compile(
    rf"\b((?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?[ \t]+)({_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
    rf"|((?i:my name is|name\s*:)[ \t]*)({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})"
    r"|((?:我叫|姓名[:：]?|联系人[:：]?)[ \t]*)([\u4e00-\u9fff·]{2,4})"
    r"|()([\u4e00-\u9fff])(?=先生|女士|小姐)"
)
_STREET = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Close|"
    r"Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy"
)
_CN_NUMBER = r"[\d一二三四五六七八九十百零〇]"
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?(?:[ \t]+[A-Z][A-Za-z'’-]+){{1,4}}[ \t]+(?:{_STREET})\b\.?"
    rf"|[\u4e00-\u9fff]{{0,10}}(?:路|街|大道|巷|弄|胡同){_CN_NUMBER}{{1,6}}号"
    rf"(?:{_CN_NUMBER}{{1,6}}(?:栋|幢|楼|单元|室|号楼))*"
)

# What may need masking, in RE2 syntax (pyarrow's match_substring_regex): a text that matches none of it
# and holds none of its record's identities comes out of mask_text() unchanged, so a columnar parser
# calls mask_text() only where this matches. tests/unit/test_pii.py holds the two to that.
MAY_NEED_MASKING = (
    r"@|\p{Nd}[\p{Nd}\- ]{6,}\p{Nd}"
    r"|(?i)(?:regards|wishes|thanks|thank\s+you|cheers|sincerely|yours|respectfully|best|cordially"
    r"|\b(?:mr|mrs|ms|mx|dr|prof)\b|name)"
    r"|此致|敬礼|谢谢|感谢|多谢|盼复|祝好|顺祝商祺|敬上|谨上|我叫|姓名|联系人|先生|女士|小姐"
    r"|\d[A-Za-z]?[ \t]+[A-Z]|路|街|大道|巷|弄|胡同"
)

_CJK = re.compile(r"[\u4e00-\u9fff]")
# Cheap tests that let mask_text() skip the passes that cannot match.
_TITLE_CUES = ("Mr", "Ms", "Mx", "Dr", "Prof", "name", "Name", "NAME", "我叫", "姓名", "联系人")
_TITLE_CUES += ("先生", "女士", "小姐")
_ADDRESS_CUE = re.compile(r"\d[A-Za-z]?[ \t]+[A-Z]|路|街|大道|巷|弄|胡同")
_DIGITS = re.compile(r"\d{4}")
# A number given as a phone: international, mainland mobile, or written with separators.
_PHONE_SHAPED = re.compile(r"\+.*|1[3-9]\d{9}|.*\d[\- ]\d.*")
_PARTS = re.compile(r"[\s,;/|()\"'<>]+")


def customer_key(identity: str | None, key: str) -> str | None:
    """A stable pseudonym for a customer: HMAC-SHA256 of the normalised identity, 32 hex chars."""
    if identity is None:
        return None
    normalised = identity.strip().lower()
    if not normalised:
        return None
    return hmac.digest(key.encode(), normalised.encode(), "sha256").hex()[:32]  # one-shot: OpenSSL in C


@lru_cache(maxsize=256)  # a mail's subject and body are masked with the same identities
def identity_tokens(values: tuple[str | None, ...]) -> list[tuple[str, str]]:
    """(token, tag) for each form of a record's own identities that mask_text() looks for in its text:
    a name whole and each part of it of two letters or more (a Chinese name whole, and its given name
    when that has two characters), a handle with and without its @, an account number; longest first."""
    tokens: dict[str, str] = {}
    for value in values:
        text = (value or "").strip()
        if not text or "@" in text[1:]:
            continue  # an email address: masked wherever it appears anyway
        if text.startswith("@"):
            handle = text[1:]
            if len(handle) >= 3:
                tokens[text] = tokens[handle] = "[handle]"
            continue
        if sum(c.isdigit() for c in text) >= 5 and not any(c.isalpha() for c in text):
            tokens[text] = "[phone]" if _PHONE_SHAPED.fullmatch(text) else "[account]"
            continue
        tokens[text] = "[name]"
        for part in _PARTS.split(text):
            part = part.strip(".-")
            if _CJK.search(part):
                if len(part) >= 3:
                    tokens[part] = tokens[part[1:]] = "[name]"  # 王小明: 小明 too; never one character
                elif len(part) == 2:
                    tokens[part] = "[name]"
            elif len(part) >= 2 and any(c.isalpha() for c in part):
                tokens[part] = "[name]"
    return sorted(tokens.items(), key=lambda item: -len(item[0]))


def mentions(text: str, known: Iterable[str | None]) -> bool:
    """Whether the text may hold a form of the identities that mask_text() would mask (a cheap test, in
    any case: every part of two characters or more)."""
    folded = text.lower()
    for value in known:
        for part in _PARTS.split((value or "").lower()):
            if len(part.strip(".-@")) >= 2 and part.strip(".-@") in folded:
                return True
    return False


def _word_at(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands as a word: no word character (or @) touches it."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "_@") and not (after.isalnum() or after == "_")


def _replace_words(text: str, forms: Iterable[str], tag: str, ignore_case: bool) -> str:
    """Each form where it stands as a word, longest first (no regular expression: one per customer
    would be compiled for each record)."""
    haystack = text.lower() if ignore_case else text
    spans = []
    for form in sorted(set(forms), key=len, reverse=True):
        needle = form.lower() if ignore_case else form
        start = haystack.find(needle)
        while start != -1:
            end = start + len(needle)
            if _word_at(text, start, end) and not any(a < end and start < b for a, b in spans):
                spans.append((start, end))
            start = haystack.find(needle, start + 1)
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + tag + text[end:]
    return text


def _mask_tokens(text: str, tokens: list[tuple[str, str]]) -> str:
    """Each token where it stands as a word: as written, capitalised or in capitals for a Latin name
    (so a customer called Green leaves 'the green light' alone), in any case for handles and numbers."""
    for token, tag in tokens:
        if token.lower() not in text.lower():
            continue
        if _CJK.search(token):
            text = text.replace(token, tag)
        elif tag == "[name]":
            forms = (token, token[:1].upper() + token[1:], token.upper(), token.title())
            text = _replace_words(text, forms, tag, ignore_case=False)
        else:
            bare = token.lstrip("@")
            text = _replace_words(text, ("@" + bare, bare), tag, ignore_case=True)
    return text


def _number(match: re.Match) -> str:
    if match.group("date"):
        return match.group()
    before = match.string[max(0, match.start() - 24) : match.start()]
    if _KEPT_LABEL.search(before):
        return match.group()
    return "[account]" if _ACCOUNT_LABEL.search(before) else "[phone]"


def _titled(match: re.Match) -> str:
    for prefix in (1, 3, 5, 7):
        if match.group(prefix + 1) is not None:
            return f"{match.group(prefix)}[name]"
    return match.group()


def _signoff(match: re.Match) -> str:
    lines = match.group(2).split("\n")
    kept = [line if re.fullmatch(rf"[ \t]*{_ZH_SIGNOFF}[ \t]*[!！]?[ \t]*", line) else "[name]" for line in lines[1:]]
    return match.group(1) + "\n" + "\n".join(kept)


def mask_text(text: str | None, known: Iterable[str | None] = (), keep_handles: Iterable[str] = ()) -> str | None:
    """Mask personal data in free text (see the module's docstring), keeping the rest for analysis.
    known: the record's own identities (names, handles, account numbers); keep_handles: the service's
    own handles, which are not personal."""
    if text is None:
        return None
    if "@" in text:
        text = _EMAIL.sub("[email]", text)
    tokens = identity_tokens(tuple(known))
    if tokens:
        text = _mask_tokens(text, tokens)
    text = _SIGNOFF_BLOCK.sub(_signoff, text)
    text = _SIGNOFF_SAME_LINE.sub(r"\1[name]", text)
    if any(cue in text for cue in _TITLE_CUES):
        text = _TITLED.sub(_titled, text)
    if "@" in text:
        kept = {handle.lower() for handle in keep_handles}
        text = _HANDLE.sub(lambda m: m.group() if m.group().lower() in kept else "[handle]", text)
    if _ADDRESS_CUE.search(text):
        text = _ADDRESS.sub("[address]", text)
    return _NUMBER_RUN.sub(_number, text) if _DIGITS.search(text) else text
