"""Channel parsers: each turns one landing date's files into canonical rows and rejects.

The per-channel difference is kept to the parsing; everything after works on the canonical shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from complaints_pipeline.sources import email, phone, social, web
from complaints_pipeline.sources.base import ParseContext, Reject

Parser = Callable[[Path, ParseContext], Iterator[dict | Reject]]

PARSERS: dict[str, Parser] = {
    "phone": phone.parse_file,
    "email": email.parse_file,
    "web": web.parse_file,
    "social": social.parse_file,
}

# Which files in a channel's landing folder hold records.
FILE_PATTERNS: dict[str, tuple[str, ...]] = {
    "phone": ("*.csv",),
    "email": ("*.eml", "*.mbox"),
    "web": ("*.jsonl", "*.csv", "*.json"),  # form submissions, CFPB CSV and JSON exports
    "social": ("*.json",),
}
