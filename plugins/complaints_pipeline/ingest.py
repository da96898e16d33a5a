"""Extract stage: one channel's landed files for some dates -> validated rows, rejects and skips, staged as Parquet.

Streams in chunks, so a channel's day is never held whole in memory; never touches the warehouse
(the single writer loads what this stages). Each date's staged folder is replaced as a whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from complaints_pipeline import data_docs, quality
from complaints_pipeline.business_calendar import is_working_day
from complaints_pipeline.config import Settings
from complaints_pipeline.reference import CHANNEL_SOURCES
from complaints_pipeline.sources import PARSERS
from complaints_pipeline.sources.base import (
    LANDED_KEY,
    QUARANTINE_SCHEMA,
    RAW_KEY,
    SKIPPED_SCHEMA,
    STAGING_SCHEMA,
    ParseContext,
    Reject,
    Skip,
    export_time,
    shown_bytes,
)
from complaints_pipeline.staging import (
    TABLES,
    StagedDay,
    day_lock,
    file_digest,
    landed_files,
    loaded_file_digests,
    rows_to_table,
    staged_summary,
    staging_folder,
)

log = logging.getLogger(__name__)

SUITE_FILE = "complaints.json"
CHUNK_ROWS = 100_000
_SPACE = re.compile(r"\s+")


@dataclass
class DayResult:
    channel: str
    partition_date: str
    files: list[dict] = field(default_factory=list)
    records_in: int = 0
    loaded: int = 0
    quarantined: int = 0
    quarantined_held: int = 0  # records the quarantined ones held beyond themselves (the posts of a lost page)
    skipped: int = 0
    skipped_by_kind: dict[str, int] = field(default_factory=dict)
    quarantined_by_check: dict[str, int] = field(default_factory=dict)
    expectations_failed: list[str] = field(default_factory=list)
    validation_seconds: float = 0.0  # all of it: raw contract, canonical suite, day gate
    contract_seconds: float = 0.0
    blocked: list[str] = field(default_factory=list)  # the day gate's blocking failures: not loaded
    warnings: list[str] = field(default_factory=list)
    profile: dict = field(default_factory=dict)  # what later days' gates learn from
    gate_parameters: dict = field(default_factory=dict)


def _text_key(text: str | None) -> str | None:
    """Exact copies of one post: the same text once case and spacing are ignored."""
    if not text:
        return None
    return hashlib.sha1(_SPACE.sub(" ", text).strip().lower().encode()).hexdigest()


class _DayExtractor:
    def __init__(
        self, channel: str, day: dt.date, settings: Settings, suites: tuple, known_files: dict[str, str]
    ) -> None:
        self.ctx = ParseContext(
            channel,
            settings.landing_dir,
            day,
            settings.local_tz,
            settings.pii_key,
            settings.service_mailboxes,
            settings.service_handles,
        )
        self.settings = settings
        self.suite, self.day_suite, self.contract = suites
        self.known_files = known_files
        self.result = DayResult(channel, day.isoformat())
        self.staged = StagedDay(staging_folder(settings.staging_dir, channel, day))
        self.seen_texts: dict[str, str] = {}
        self.rows: list[dict] = []  # from row parsers, turned into a table per chunk
        self.tables: list[pa.Table] = []  # from columnar parsers, and the rows' tables
        self.buffered = 0
        self.rejects: list[dict] = []
        self.unread: list[Reject] = []  # records with a field the parser could not read: the contract judges them
        self.skips: list[dict] = []
        self.failed: set[str] = set()
        self.validation_results: dict[str, list[dict]] = {}  # suite -> its results on each chunk
        self.carried_in = 0  # records an intraday run found staged by the last one

    # ------------------------------------------------------------ per record

    def _reject(self, item: Reject) -> None:
        if item.landed is not None:  # the raw contract judges it at the next flush
            self.unread.append(item)
            self.buffered += 1
            return
        self._quarantine(item)

    def _quarantine(self, item: Reject) -> None:
        # A byte a parser could not decode is shown as U+FFFD: the quarantine is for people to read.
        self.result.quarantined_held += item.holds - 1
        fields = {
            k: shown_bytes(v) if isinstance(v, str) else v
            for k, v in asdict(item).items()
            if k not in ("landed", "holds")
        }
        self.rejects.append({"channel": self.ctx.channel, "partition_date": self.ctx.partition_date, **fields})

    def _skip(self, item: Skip) -> None:
        self.skips.append({"channel": self.ctx.channel, "partition_date": self.ctx.partition_date, **asdict(item)})

    def _row(self, row: dict) -> None:
        if self.ctx.channel == "social":
            key = _text_key(row["complaint_text"])
            original = self.seen_texts.get(key) if key else None
            if original is not None:
                reason = f"an exact copy of {original}'s text: one complaint signal"
                self._skip(Skip(row["source_file"], row["source_position"], "copy", reason, original))
                return
            if key:
                self.seen_texts[key] = row["complaint_id"]
        self.rows.append(row)
        self.buffered += 1
        if self.buffered >= CHUNK_ROWS:
            self._flush()

    def _table(self, table: pa.Table) -> None:
        """A columnar parser's batch, kept in file order after the rows parsed before it."""
        if self.rows:
            self.tables.append(rows_to_table(self.rows))
            self.rows = []
        self.tables.append(table)
        self.buffered += table.num_rows
        if self.buffered >= CHUNK_ROWS:
            self._flush()

    def add(self, item: dict | Reject | Skip | pa.Table, duplicate_of: str | None) -> None:
        if isinstance(item, pa.Table):
            if duplicate_of is None:
                self.result.records_in += item.num_rows
                self._table(item)
            else:
                for row in item.select(["source_file", "source_position"]).to_pylist():
                    self.add(row, duplicate_of)
            return
        self.result.records_in += 1
        if duplicate_of is not None:
            source_file = item["source_file"] if isinstance(item, dict) else item.source_file
            position = item["source_position"] if isinstance(item, dict) else item.source_position
            reason = f"the same file as {duplicate_of} (identical bytes), already loaded"
            self._skip(Skip(source_file, position, "duplicate_file", reason))
        elif isinstance(item, Reject):
            self._reject(item)
        elif isinstance(item, Skip):
            self._skip(item)
        else:
            self._row(item)

    # ------------------------------------------------------------ per chunk

    def _check_contract(self, table: pa.Table) -> pa.Table:
        """The channel's raw contract on the chunk's landed records: the rows parsed and the records with
        a field the parser could not read. A record failing it is quarantined naming the expectation; an
        unread record that passes keeps the parser's reason (a gap in the contract, logged)."""
        unread, self.unread = self.unread, []
        landed = pa.concat_arrays(
            [table.column(LANDED_KEY).combine_chunks(), pa.array([r.landed for r in unread], pa.string())]
        )
        files = table.column("source_file").to_pylist() + [r.source_file for r in unread]
        positions = table.column("source_position").to_pylist() + [r.source_position for r in unread]
        where = [f"{f} at {p}" for f, p in zip(files, positions, strict=True)]
        started = time.perf_counter()
        outcome = quality.check_contract(landed, self.contract, where)
        seconds = time.perf_counter() - started
        self.result.contract_seconds += seconds
        self.result.validation_seconds += seconds
        self.failed.update(outcome.expectations_failed)
        self.validation_results.setdefault(outcome.result["suite_name"], []).append(outcome.result)
        base = {"channel": self.ctx.channel, "partition_date": self.ctx.partition_date}
        for index, problems in sorted(outcome.failures.items()):
            if index < table.num_rows:
                raw, complaint_id = table.column(RAW_KEY)[index].as_py(), table.column("complaint_id")[index].as_py()
            else:
                raw, complaint_id = shown_bytes(unread[index - table.num_rows].raw_record), None
            self.rejects.append(
                base
                | {"source_file": files[index], "source_position": positions[index], "complaint_id": complaint_id}
                | quality.explain(problems)
                | {"raw_record": raw}
            )
        for offset, item in enumerate(unread):
            if table.num_rows + offset not in outcome.failures:
                where_ = where[table.num_rows + offset]
                log.warning("%s passes the raw contract %s, yet: %s", where_, self.contract.name, item.reason)
                self._quarantine(item)
        if not outcome.failures:
            return table
        return table.filter(pa.array([i not in outcome.failures for i in range(table.num_rows)], pa.bool_()))

    def _flush(self) -> None:
        if self.rows:
            self.tables.append(rows_to_table(self.rows))
            self.rows = []
        table = None
        if self.tables or self.unread:
            table = pa.concat_tables(self.tables) if self.tables else STAGING_SCHEMA.empty_table()
            self.tables, self.buffered = [], 0
            table = self._check_contract(table)
        if table is not None and table.num_rows:
            started = time.perf_counter()
            outcome = quality.validate(
                table.drop_columns([RAW_KEY, LANDED_KEY]), self.suite, raw_records=table.column(RAW_KEY)
            )
            self.result.validation_seconds += time.perf_counter() - started
            self.failed.update(outcome.expectations_failed)
            self.validation_results.setdefault(outcome.result["suite_name"], []).append(outcome.result)
            # Counted against the channel the file landed under, whatever channel a row names (CFPB).
            self.rejects.extend(reject | {"channel": self.ctx.channel} for reject in outcome.rejects)
            self.result.loaded += outcome.good.num_rows
            self.staged.write("complaints", outcome.good)
        self.result.quarantined += len(self.rejects)
        self.result.quarantined_by_check = dict(
            Counter(self.result.quarantined_by_check) + Counter(r["check_name"] for r in self.rejects)
        )
        self.staged.write("quarantine", pa.Table.from_pylist(self.rejects, schema=QUARANTINE_SCHEMA))
        self.rejects = []
        self.result.skipped += len(self.skips)
        self.result.skipped_by_kind = dict(
            Counter(self.result.skipped_by_kind) + Counter(s["kind"] for s in self.skips)
        )
        self.staged.write("skipped", pa.Table.from_pylist(self.skips, schema=SKIPPED_SCHEMA))
        self.skips = []

    # ------------------------------------------------------------ the day

    def _gate(self) -> None:
        """The day suite on the day's loaded rows, source by source, with parameters learned from earlier
        staged days."""
        started = time.perf_counter()
        columns = ["category", "record_source", "received_at", *quality.PROFILED_COLUMNS]
        frame = self.staged.read("complaints", columns)
        channel, day = self.ctx.channel, self.ctx.partition_date
        gate = quality.judge_day(
            frame,
            self.day_suite,
            learned_history(self.settings.staging_dir, channel, day),
            working_day=is_working_day(day, self.settings.holiday_country, self.settings.holiday_subdivision),
            loaded=self.result.loaded,
            quarantined=self.result.quarantined + self.result.quarantined_held,
            max_quarantined_share=self.settings.max_quarantined_share,
            default_source=CHANNEL_SOURCES[channel],
            day_start=export_time(day - dt.timedelta(days=1), self.settings.local_tz),
        )
        self.result.blocked, self.result.warnings = gate.blocked, gate.warnings
        self.result.profile, self.result.gate_parameters = gate.profile, gate.parameters
        self.validation_results[gate.result["suite_name"]] = [gate.result]
        self.result.validation_seconds += time.perf_counter() - started

    def _resume(self, files: list[Path]) -> set[str]:
        """An intraday run's start: the day as the last intraday run staged it, when every file it read is
        still there unchanged; those files are not read again. Returns them (none: the day is read whole)."""
        summary = staged_summary(self.settings.staging_dir, self.ctx.channel, self.ctx.partition_date)
        if not summary or not summary.get("partial"):
            return set()
        current = {(self.ctx.relative(p), p.stat().st_size) for p in files}
        if not {(f["file"], f["bytes"]) for f in summary["files"]} <= current:
            log.info(
                "%s %s: a file read before changed; the day is read whole", self.ctx.channel, self.ctx.partition_date
            )
            return set()
        for name, schema in TABLES.items():
            self.staged.write(name, pq.read_table(self.staged.folder / f"{name}.parquet").cast(schema))
        if self.ctx.channel == "social":
            columns = ["complaint_text", "complaint_id"]
            staged = pq.read_table(self.staged.folder / "complaints.parquet", columns=columns)
            for text, complaint_id in zip(*staged.to_pydict().values(), strict=True):
                key = _text_key(text)
                if key:
                    self.seen_texts.setdefault(key, complaint_id)
        for entry in summary["files"]:
            if entry.get("duplicate_of") is None:
                self.known_files.setdefault(entry["sha256"], entry["file"])
        self.result = DayResult(**{k: summary[k] for k in _CARRIED} | {"channel": self.ctx.channel})
        self.carried_in = self.result.records_in
        self.failed.update(summary.get("expectations_failed", []))
        return {entry["file"] for entry in summary["files"]}

    def run(self, files: list[Path], landed_by: dt.datetime | None = None) -> DayResult:
        """Stage the day from its files. With landed_by (an intraday run): only the files not staged by the
        last intraday run are read, and the day gate, which judges whole days, waits for the daily run."""
        try:
            done = self._resume(files) if landed_by else set()
            for path in files:
                relative = self.ctx.relative(path)
                if relative in done:
                    continue
                digest = file_digest(path)
                duplicate_of = self.known_files.get(digest)
                self.known_files.setdefault(digest, relative)
                self.result.files.append(
                    {"file": relative, "bytes": path.stat().st_size, "sha256": digest, "duplicate_of": duplicate_of}
                )
                for item in PARSERS[self.ctx.channel](path, self.ctx):
                    self.add(item, duplicate_of)
            self._flush()
            if not landed_by:
                self._gate()
        except BaseException:
            self.staged.abort()
            raise
        self.result.expectations_failed = sorted(self.failed)
        summary = asdict(self.result)
        if landed_by:
            summary |= {"partial": True, "landed_by": landed_by.isoformat()}
        self.staged.commit(summary)
        return self.result


# What an intraday run carries over from the day as the last one staged it.
_CARRIED = (
    "partition_date",
    "files",
    "records_in",
    "loaded",
    "quarantined",
    "quarantined_held",
    "skipped",
    "skipped_by_kind",
    "quarantined_by_check",
    "validation_seconds",
    "contract_seconds",
)


class BatchBlockedError(RuntimeError):
    """A channel's day failed a blocking expectation of the day suite: staged for inspection, not loaded."""


NOT_DELIVERED = "no landing folder {folder}: the export was not delivered (an empty folder means no complaints)"


def not_delivered(channel: str, day: dt.date, settings: Settings) -> list[str]:
    """A date with no landing folder: staged as not delivered (no records, nothing learned from it), unless
    it was delivered and staged before (its folder cleared away since: the staged day stays). What to report."""
    earlier = staged_summary(settings.staging_dir, channel, day)
    folder = f"{channel}/{day.isoformat()}/"
    if earlier and not earlier.get("not_delivered"):
        log.warning("%s %s: the landing folder %s is gone; the day stays as staged before", channel, day, folder)
        return []
    message = NOT_DELIVERED.format(folder=folder)
    summary = asdict(DayResult(channel, day.isoformat())) | {"not_delivered": True, "blocked": [message]}
    StagedDay(staging_folder(settings.staging_dir, channel, day)).commit(summary)
    log.warning("%s %s: %s", channel, day, message)
    return [f"{channel} {day}: {message}"]


def learned_history(staging_dir: Path, channel: str, day: dt.date) -> list[dict]:
    """Profiles of the channel's staged days before this one (newest first, within the suite's
    history window), leaving out days the gate blocked."""
    profiles = []
    for back in range(1, quality.HISTORY_DAYS + 1):
        summary = staged_summary(staging_dir, channel, day - dt.timedelta(days=back))
        if summary and summary.get("profile") and not summary.get("blocked"):
            profiles.append(summary["profile"])
    return profiles


def extract(channel: str, days: list[dt.date], settings: Settings, landed_by: dt.datetime | None = None) -> dict:
    """Parse and validate a channel's files for the given dates; stage each date's result. Raises
    BatchBlockedError, after staging every date, when the day gate blocked any of them.

    With landed_by (an intraday run, intraday.py): only the files landed by then, read since the last intraday
    run; a date without a landing folder yet, or one the daily run has staged, is left alone; the day gate and
    the Data Docs wait for the daily run, which reads the day whole."""
    started = time.perf_counter()
    suite = quality.load_suite(settings.expectations_dir / SUITE_FILE)  # imports GX: validation's cost
    day_suite = quality.load_suite_document(settings.expectations_dir / quality.DAY_SUITE_FILE)
    contract = quality.load_suite(settings.expectations_dir / f"{channel}.json")
    totals = Counter({"validation_seconds": time.perf_counter() - started})
    known_files = loaded_file_digests(settings.staging_dir, channel, exclude=set(days))
    run_time = dt.datetime.now(dt.UTC)
    cutoff = landed_by.timestamp() if landed_by else None
    blocked: list[str] = []
    for day in days:
        with day_lock(settings.staging_dir, channel, day):
            if not (settings.landing_dir / channel / day.isoformat()).is_dir():
                if not landed_by:
                    blocked += not_delivered(channel, day, settings)
                continue
            earlier = staged_summary(settings.staging_dir, channel, day)
            if landed_by and earlier and not earlier.get("partial"):
                log.info("%s %s: staged by the daily run; a file landed since waits for its lookback", channel, day)
                continue
            extractor = _DayExtractor(channel, day, settings, (suite, day_suite, contract), known_files)
            result = extractor.run(landed_files(settings.landing_dir, channel, day, cutoff), landed_by)
        if not landed_by:
            results = [quality.merge_results(chunks) for chunks in extractor.validation_results.values()]
            data_docs.store_results(settings, channel, day, run_time, results)
        totals.update(
            {
                k: getattr(result, k)
                for k in ("records_in", "loaded", "quarantined", "skipped", "validation_seconds", "contract_seconds")
            }
            | {"dates": 1, "new_records": result.records_in - extractor.carried_in}
        )
        log.info("%s %s: %s", channel, day, {k: v for k, v in asdict(result).items() if k != "files"})
        for warning in result.warnings:
            log.warning("%s %s: %s", channel, day, warning)
        blocked += [f"{channel} {day}: {message}" for message in result.blocked]
    if blocked:
        raise BatchBlockedError("not loaded:\n" + "\n".join(blocked))
    return {"channel": channel, **dict(totals)}
