"""Personal data protection: keyed hashing of identities and masking inside free text.

Names, phone numbers, email addresses and account numbers never reach the warehouse in clear.
"""

from __future__ import annotations

import hmac
import re

# Mainland mobile numbers, international numbers and dashed/spaced landlines: 8+ digits in a run.
# Boundaries are ASCII on purpose: in Chinese text a number follows a letter directly (电话13812345678).
_PHONE = re.compile(r"(?<![A-Za-z0-9@._-])\+?\d[\d\- ]{6,}\d(?![A-Za-z0-9@])")
# The lookbehind lets a match start only where a run of address characters starts: without it, a long
# run with no "@" (a 1 MB note of letters) is rescanned from every position, quadratic time.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def customer_key(identity: str | None, key: str) -> str | None:
    """A stable pseudonym for a customer: HMAC-SHA256 of the normalised identity, 32 hex chars."""
    if identity is None:
        return None
    normalised = identity.strip().lower()
    if not normalised:
        return None
    return hmac.digest(key.encode(), normalised.encode(), "sha256").hex()[:32]  # one-shot: OpenSSL in C


def mask_text(text: str | None) -> str | None:
    """Mask email addresses and phone numbers, keeping the rest of the text for analysis."""
    if text is None:
        return None
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))
