"""Search everything this installation publishes for the personal data its landed files hold.

    python -m complaints_pipeline.privacy_scan          (or: make privacy-scan)

Reads the identities in the landed files (callers' names, phone numbers and account numbers; web form
senders' names, addresses, phones and accounts; mail senders' names and addresses and the accounts in
their mail; social authors' names and handles), then looks for each of them in what people outside the
data team see: the warehouse's `marts` schema, the published DuckDB snapshot and its Parquet files, the
alert emails, the Data Docs pages and the logs under COMPLAINTS_HOME. Prints where each finding is and
what kind of identity it is, never the identity itself; exits 1 when there is any.

It matches whole identities, not fragments: a full name (two words or more, or a Chinese name of two to
four characters), an email address, a handle, a phone or account number of six digits or more.
"""

from __future__ import annotations

import csv
import email
import email.utils
import html
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from complaints_pipeline.config import Settings, load_settings
from complaints_pipeline.sources.base import detect_encoding
from complaints_pipeline.sources.phone import CHINESE_HEADERS

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"@([\w-]{3,30})")
_NUMBER = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d\- ]{4,}\d(?![A-Za-z0-9])")
_LATIN_NAME = re.compile(r"[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’.-]*){1,3}")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_WORD = re.compile(r"[\w-]{4,30}")
_ACCOUNT_LINE = re.compile(r"^\s*Account\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass
class Identities:
    """The landed files' identities, normalised for lookup."""

    names: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)

    def add(self, kind: str, value: object) -> None:
        if not isinstance(value, str | int) or isinstance(value, bool):
            return
        text = str(value).strip()
        if kind == "name":
            if " " in text or _CJK_RUN.fullmatch(text) and len(text) <= 4:
                self.names.add(text)
        elif kind == "email" and "@" in text:
            self.emails.add(text.lower())
        elif kind == "handle" and len(text.lstrip("@")) >= 4:
            self.handles.add(text.lstrip("@").lower())
        elif kind == "number" and len(_digits(text)) >= 6:
            self.numbers.add(_digits(text))

    def __len__(self) -> int:
        return len(self.names) + len(self.emails) + len(self.handles) + len(self.numbers)

    def found_in(self, text: str) -> Iterator[str]:
        """The kind of each identity the text holds (linear in the text: candidates, then set lookups)."""
        for match in _EMAIL.finditer(text):
            if match.group().lower() in self.emails:
                yield "email address"
        for match in _HANDLE.finditer(text):
            if match.group(1).lower() in self.handles:
                yield "handle"
        if self.handles:
            for match in _WORD.finditer(text):
                if match.group().lower() in self.handles:
                    yield "handle"
        for match in _NUMBER.finditer(text):
            if _digits(match.group()) in self.numbers:
                yield "phone or account number"
        for match in _LATIN_NAME.finditer(text):
            words = match.group().split()
            for start in range(len(words)):
                for end in range(start + 2, len(words) + 1):
                    if " ".join(words[start:end]).rstrip(".,") in self.names:
                        yield "name"
        for match in _CJK_RUN.finditer(text):
            run = match.group()
            for size in (2, 3, 4):
                for start in range(len(run) - size + 1):
                    if run[start : start + size] in self.names:
                        yield "name"


# ---------------------------------------------------------------- what landed


def landed_identities(landing_dir: Path) -> Identities:
    found = Identities()
    for path in sorted(p for p in landing_dir.rglob("*") if p.is_file() and "_ground_truth" not in p.parts):
        try:
            _read_landed(path, found)
        except (ValueError, UnicodeError, csv.Error, email.errors.MessageError):
            continue  # a file the pipeline quarantines: what it holds never reached a published table
    return found


def _read_landed(path: Path, found: Identities) -> None:
    data = path.read_bytes()
    if path.suffix == ".csv":
        text = data.decode(detect_encoding(data[: 1 << 20], partial=True) or "utf-8", errors="replace")
        for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
            row = {CHINESE_HEADERS.get(k, k): v for k, v in row.items() if isinstance(k, str)}
            found.add("name", row.get("caller_name"))
            found.add("number", row.get("caller_phone"))
            found.add("number", row.get("account_no"))
    elif path.suffix in (".eml", ".mbox"):
        for message in _messages(data, path.suffix == ".mbox"):
            name, address = email.utils.parseaddr(str(message.get("From", "")))
            found.add("name", name)
            found.add("email", address)
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    body = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
                    for account in _ACCOUNT_LINE.findall(body):
                        found.add("number", account)
    elif path.suffix in (".jsonl", ".json"):
        text = data.decode("utf-8", errors="replace")
        documents = (
            [json.loads(line) for line in text.splitlines() if line.strip()]
            if path.suffix == ".jsonl"
            else [json.loads(text)]
        )
        for document in documents:
            _json_identities(document, found)


def _messages(data: bytes, is_mbox: bool) -> Iterator[email.message.Message]:
    chunks = re.split(rb"(?m)^From [^\n]*\n", data) if is_mbox else [data]
    for chunk in chunks:
        if chunk.strip():
            yield email.message_from_bytes(chunk)


def _json_identities(document: object, found: Identities) -> None:
    """Web forms (name, email, phone, account_no), X pages (includes.users) and Weibo statuses (user)."""
    if isinstance(document, list):
        for item in document:
            _json_identities(item, found)
        return
    if not isinstance(document, dict):
        return
    for key, kind in (("name", "name"), ("email", "email"), ("phone", "number"), ("account_no", "number")):
        found.add(kind, document.get(key))
    for key in ("username", "screen_name"):
        found.add("handle", document.get(key))
    users = (document.get("includes") or {}).get("users") if isinstance(document.get("includes"), dict) else None
    for user in users or []:
        _json_identities(user, found)
    for key in ("data", "statuses", "user"):
        if isinstance(document.get(key), list | dict):
            _json_identities(document[key], found)


# ---------------------------------------------------------------- what is published


@dataclass
class Report:
    scanned: Counter = field(default_factory=Counter)  # what was read: tables, rows, files
    findings: Counter = field(default_factory=Counter)  # (where, kind) -> count

    def check(self, where: str, text: str | None, identities: Identities) -> None:
        if text:
            for kind in identities.found_in(text):
                self.findings[(where, kind)] += 1


def _scan_duckdb(path: Path, schemas: Iterable[str] | None, identities: Identities, report: Report) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.sql(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON') order by 1, 2, 3"
        ).fetchall()
        tables: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in columns:
            if schemas is None or schema in schemas:
                tables.setdefault((schema, table), []).append(column)
        for (schema, table), names in tables.items():
            report.scanned["tables"] += 1
            selected = ", ".join(f'"{name}"::varchar' for name in names)
            cursor = con.execute(f'select {selected} from "{schema}"."{table}"')
            while rows := cursor.fetchmany(50_000):
                report.scanned["rows"] += len(rows)
                for row in rows:
                    for name, value in zip(names, row, strict=True):
                        report.check(f"{path.name}: {schema}.{table}.{name}", value, identities)


def _scan_parquet(path: Path, identities: Identities, report: Report) -> None:
    table = pq.read_table(path)
    report.scanned["files"] += 1
    for name in table.column_names:
        if str(table.schema.field(name).type) in ("string", "large_string"):
            for value in table.column(name).to_pylist():
                report.check(f"{path.name}: {name}", value, identities)


def _scan_text_file(path: Path, root: Path, identities: Identities, report: Report) -> None:
    report.scanned["files"] += 1
    data = path.read_bytes()
    if path.suffix == ".eml":
        message = email.message_from_bytes(data)
        parts = [f"{k}: {v}" for k, v in message.items()]
        for part in message.walk():
            if not part.is_multipart():
                parts.append((part.get_payload(decode=True) or b"").decode("utf-8", errors="replace"))
        text = "\n".join(parts)
    else:
        text = data.decode("utf-8", errors="replace")
    if path.suffix in (".html", ".htm", ".eml"):
        text = html.unescape(text)
    report.check(str(path.relative_to(root)), text, identities)


def scan(settings: Settings, identities: Identities | None = None) -> Report:
    """Every published surface of the installation, against the landed files' identities."""
    identities = identities if identities is not None else landed_identities(settings.landing_dir)
    report = Report()
    report.scanned["identities"] = len(identities)
    if settings.warehouse_path.exists():
        _scan_duckdb(settings.warehouse_path, ("marts",), identities, report)
    for path in sorted(settings.published_dir.rglob("*.duckdb")) if settings.published_dir.exists() else []:
        _scan_duckdb(path, None, identities, report)
    for path in sorted(settings.published_dir.rglob("*.parquet")) if settings.published_dir.exists() else []:
        _scan_parquet(path, identities, report)
    home = settings.home
    pages = [settings.mail_dir.glob("*.eml"), (home / "quality" / "docs").rglob("*.htm*"), home.rglob("*.log")]
    for paths in pages:
        for path in sorted(paths):
            if path.is_file():
                _scan_text_file(path, home, identities, report)
    return report


def main() -> int:
    settings = load_settings()
    report = scan(settings)
    scanned = ", ".join(f"{count:,} {what}" for what, count in report.scanned.items())
    print(f"Scanned {scanned} under {settings.home}")
    if not report.findings:
        print("No identity from the landed files was found in anything published.")
        return 0
    print(f"{sum(report.findings.values()):,} identities from the landed files were found in published output:")
    for (where, kind), count in sorted(report.findings.items()):
        print(f"  {where}: {count:,} x {kind}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
