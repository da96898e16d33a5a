"""One channel and one day, then days and ranges: files, ground truth, counts."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np

from complaints_pipeline.business_calendar import is_holiday
from complaints_pipeline.config import DEFAULT_TZ
from complaints_pipeline.reference import (
    CHANNELS,
)
from complaints_pipeline.sample_data.crm import write_crm_export
from complaints_pipeline.sample_data.mail import _EmailWriter
from complaints_pipeline.sample_data.model import (
    _EVENTS,
    ChannelCount,
    DaySummary,
    GenerationSummary,
    Surge,
    _Clock,
    _Day,
    _dimension_share,
    _draw_batch,
    _life,
    _merge,
    _rows,
    _stream,
    choose_surges,
    expected_volume,
)
from complaints_pipeline.sample_data.parameters import (
    _BAD,
    _BASE,
    _DIMENSION_VALUES,
    _EXTRA,
    _MINUTE_PROFILE,
    _NEVER,
    _SKIP,
    BAD_KINDS,
    BAD_RATE,
    CHUNK_SIZE,
    LIFE_DAYS,
    ROW_SLICE,
    SKIP_KINDS,
    SKIP_RATE,
    WEEKDAY_NAMES,
    Batch,
)
from complaints_pipeline.sample_data.phone import _PhoneWriter
from complaints_pipeline.sample_data.social import _SocialWriter
from complaints_pipeline.sample_data.suspects import KEEP_ACCOUNT, SUSPECT_STREAM, Suspect, choose_suspects
from complaints_pipeline.sample_data.suspects import extras as suspect_extras
from complaints_pipeline.sample_data.web import _WebWriter
from complaints_pipeline.sample_data.writer import _Writer

_HANDLED_CHANNELS = ("phone", "web")
_WRITERS: dict[str, type[_Writer]] = {
    "phone": _PhoneWriter,
    "email": _EmailWriter,
    "web": _WebWriter,
    "social": _SocialWriter,
}


# --- one channel, one day ---------------------------------------------------------------------------


@dataclass
class _ChannelResult:
    generated: int
    bad: int
    bad_records: list[dict[str, str]]
    dimension_counts: dict[str, np.ndarray]
    skipped: int = 0
    skipped_records: list[dict[str, str]] = field(default_factory=list)
    updates: int = 0  # records that are later versions of complaints received on earlier days (or today)
    lives: list[list[str]] = field(default_factory=list)  # LIVES_HEADER rows of the day's good complaints


def _chunk_bounds(minute_counts: np.ndarray) -> list[tuple[int, int]]:
    """Split the day into runs of whole minutes holding about CHUNK_SIZE base records each."""
    bounds, first, acc = [], 0, 0
    for minute, count in enumerate(minute_counts.tolist()):
        acc += count
        if acc >= CHUNK_SIZE:
            bounds.append((first, minute + 1))
            first, acc = minute + 1, 0
    if first < len(minute_counts) or not bounds:
        bounds.append((first, len(minute_counts)))
    return bounds


def _expand(minute_counts: np.ndarray, first: int, last: int) -> np.ndarray:
    return np.repeat(np.arange(first, last), minute_counts[first:last])


def _surge_extras(
    ctx: _Day, channel: str, surges: Sequence[Surge], rng: np.random.Generator
) -> list[tuple[tuple[str, int] | None, np.ndarray]]:
    """Extra records per active surge: (field fixed to the surge value, extra records per minute). A surge that
    starts within its first day multiplies the records from its start minute on."""
    expected = expected_volume(ctx.day, ctx.per_day, ctx.country, channel)
    extras = []
    for surge in surges:
        if surge.dimension == "channel":
            if surge.value != channel:
                continue
            lam, fixed = (surge.multiplier - 1) * expected, None
        else:
            lam = (surge.multiplier - 1) * expected * _dimension_share(surge.dimension, surge.value)
            fixed = (surge.dimension, _DIMENSION_VALUES[surge.dimension].index(surge.value))
        profile = _MINUTE_PROFILE
        if surge.start_minute and ctx.day == surge.start:
            profile = np.where(np.arange(len(profile)) >= surge.start_minute, profile, 0.0)
            lam *= profile.sum()
            profile = profile / profile.sum()
        extras.append((fixed, rng.multinomial(rng.poisson(lam), profile)))
    return extras


def _good_chunks(ctx: _Day, channel: str, surges: Sequence[Surge | Suspect]) -> tuple[int, Iterator[Batch]]:
    """(surges: the day's surges and its floods and campaigns.)"""
    """How many good records the channel gets that day, and the records in time-ordered chunks."""
    base_rng, extra_rng = _stream(ctx.seed, ctx.day, channel, _BASE), _stream(ctx.seed, ctx.day, channel, _EXTRA)
    n_base = int(base_rng.poisson(expected_volume(ctx.day, ctx.per_day, ctx.country, channel)))
    base_minutes = base_rng.multinomial(n_base, _MINUTE_PROFILE)
    extras = _surge_extras(ctx, channel, [s for s in surges if isinstance(s, Surge)], extra_rng)
    # Floods and campaigns draw from a stream of their own: the other records stay as they were without them.
    suspect_rng = _stream(ctx.seed, ctx.day, channel, SUSPECT_STREAM)
    planned = tuple(s for s in surges if isinstance(s, Suspect))
    injected = suspect_extras(suspect_rng, planned, ctx.day, channel, ctx.pool)
    total = n_base + sum(int(m.sum()) for _, m in extras) + sum(int(m.sum()) for _, m in injected)

    def chunks() -> Iterator[Batch]:
        taken = [0] * len(injected)
        # Chunk borders come from the base records alone, so surges never change the base draws.
        for first, last in _chunk_bounds(base_minutes):
            parts = [_draw_batch(base_rng, _expand(base_minutes, first, last), ctx.pool, None)]
            parts += [_draw_batch(extra_rng, _expand(m, first, last), ctx.pool, f) for f, m in extras]
            for k, (fixed, per_minute) in enumerate(injected):
                part = _draw_batch(suspect_rng, _expand(per_minute, first, last), ctx.pool, None)
                n = len(part["secs"])
                for name, values in fixed.items():
                    if name == KEEP_ACCOUNT:
                        part["picks"][:, 4] = part["picks"][:, 4] // 100 * 100 + 50
                    else:
                        part[name] = values[taken[k] : taken[k] + n].astype(part[name].dtype)
                taken[k] += n
                parts.append(part)
            yield _merge(parts)

    return total, chunks()


_AT_REGISTRATION = 0  # an as_of before any event: a record as it was registered


def _active(surges: Sequence[Surge | Suspect], day: dt.date) -> tuple[Surge | Suspect, ...]:
    return tuple(s for s in surges if s.covers(day))


# Which events of a complaint's life each channel's source sends as records of their own.
_UPDATE_EVENTS: dict[str, tuple[str, ...]] = {
    "phone": _EVENTS,  # the ticket as it stands, whenever anything changed
    "web": _EVENTS,  # a status event per change
    "email": ("first", "resolve", "reopen", "again"),  # the service's replies; the customer writing again
    "social": ("reopen",),  # the author posting again
}


def _write_updates(ctx: _Day, channel: str, surges: Sequence[Surge], first_day: dt.date, writer: _Writer) -> int:
    """What changed during ctx.day in the lives of the complaints received from first_day on, up to LIFE_DAYS
    before (and on the day itself, for sources that send each change): written by the channel's writer, as
    its source sends it. Returns how many records were written."""
    since, until = ctx.earlier(1).export_epoch, ctx.export_epoch
    handling = channel in _HANDLED_CHANNELS
    written = 0
    for back in range(0 if channel != "phone" else 1, LIFE_DAYS + 1):
        received = ctx.earlier(back)
        if received.day < first_day:
            break
        n_good, chunks = _good_chunks(received, channel, _active(surges, received.day))
        positions = _misfits(received, channel, n_good).good_positions(n_good)
        done = 0
        for batch in chunks:
            utc = (
                received.local_midnight
                + batch["secs"]
                - received.clock.local_offsets(received.day)[batch["secs"] // 3600]
            )
            life = _life(batch, utc)
            changed = {e: (life[e] > since) & (life[e] <= until) for e in _UPDATE_EVENTS[channel]}
            if "resolve" in changed:  # resolved in the first contact: one record says both, at one moment
                changed["first"] &= life["first"] != life["resolve"]
            idx = np.flatnonzero(np.logical_or.reduce(list(changed.values())))
            if len(idx) and channel == "web":  # a status event per change: the ticket right after it
                for event in _UPDATE_EVENTS[channel]:
                    hit = idx[changed[event][idx]]
                    rows = _rows({k: v[hit] for k, v in batch.items()}, received, handling, life[event][hit])
                    for j, index in enumerate(hit.tolist()):
                        at = [(event, int(life[event][index]))]
                        written += writer.write_update([rows], j, received, int(positions[done + index]), at)
            elif len(idx):  # the complaint as it stands at the export, with what changed
                rows = _rows({k: v[idx] for k, v in batch.items()}, received, handling, until)
                for j, index in enumerate(idx.tolist()):
                    events = [(e, int(life[e][index])) for e in _UPDATE_EVENTS[channel] if changed[e][index]]
                    written += writer.write_update(rows, j, received, int(positions[done + index]), events)
            done += len(batch["secs"])
    return written


@dataclass
class _Misfits:
    """Where a channel's day puts its bad records and its non-complaints (0-based positions in the file)."""

    bad_rng: np.random.Generator
    bad_at: list[int]
    bad_kinds: list[str]
    skip_rng: np.random.Generator
    skip_at: list[int]
    skip_kinds: list[str]

    def good_positions(self, n_good: int) -> np.ndarray:
        """The 1-based file position of each good record, in the order they are drawn."""
        free = np.ones(n_good + len(self.bad_at) + len(self.skip_at), dtype=bool)
        free[self.bad_at + self.skip_at] = False
        return np.flatnonzero(free) + 1


def _misfits(ctx: _Day, channel: str, n_good: int) -> _Misfits:
    bad_rng = _stream(ctx.seed, ctx.day, channel, _BAD)
    n_bad = max(1, int(bad_rng.binomial(n_good, BAD_RATE))) if n_good else 0
    bad_at = np.sort(bad_rng.choice(n_good + n_bad, n_bad, replace=False)).tolist()  # 0-based positions
    kinds = BAD_KINDS[channel]
    bad_kinds = [kinds[k] for k in bad_rng.integers(0, len(kinds), n_bad).tolist()]
    # Non-complaints (own random stream, so the bad records stay as they were) at positions no bad record holds.
    skip_rng = _stream(ctx.seed, ctx.day, channel, _SKIP)
    skip_choices = SKIP_KINDS[channel]
    n_skip = int(skip_rng.binomial(n_good, SKIP_RATE)) if skip_choices and n_good else 0
    free = np.ones(n_good + n_bad + n_skip, dtype=bool)
    free[bad_at] = False
    skip_at = np.sort(skip_rng.choice(np.flatnonzero(free), n_skip, replace=False)).tolist() if n_skip else []
    skip_kinds = [skip_choices[k] for k in skip_rng.integers(0, len(skip_choices), n_skip).tolist()]
    return _Misfits(bad_rng, bad_at, bad_kinds, skip_rng, skip_at, skip_kinds)


def _write_channel(
    ctx: _Day, channel: str, surges: Sequence[Surge], first_day: dt.date | None = None
) -> _ChannelResult:
    n_good, chunks = _good_chunks(ctx, channel, _active(surges, ctx.day))
    misfits = _misfits(ctx, channel, n_good)
    bad_rng, bad_at, bad_kinds = misfits.bad_rng, misfits.bad_at, misfits.bad_kinds
    skip_rng, skip_at, skip_kinds = misfits.skip_rng, misfits.skip_at, misfits.skip_kinds
    n_bad, n_skip = len(bad_at), len(skip_at)
    bad_minutes = np.sort(bad_rng.choice(1440, n_bad, p=_MINUTE_PROFILE))
    handling = channel in _HANDLED_CHANNELS
    # A form is written as it was submitted; its changes follow as status events.
    as_of = _AT_REGISTRATION if channel == "web" else None
    bad_rows = _rows(_draw_batch(bad_rng, bad_minutes, ctx.pool, None), ctx, handling, as_of)
    skip_rows = _rows(
        _draw_batch(skip_rng, np.sort(skip_rng.choice(1440, n_skip, p=_MINUTE_PROFILE)), ctx.pool, None), ctx, False
    )

    directory = ctx.channel_dir(channel)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    writer = _WRITERS[channel](ctx, n_good + n_bad + n_skip)
    result = _ChannelResult(n_good + n_bad + n_skip, n_bad, [], _zero_dimension_counts(), n_skip, [])
    next_bad = next_skip = 0

    def write_due_bad() -> None:
        nonlocal next_bad, next_skip
        while True:
            if next_bad < n_bad and bad_at[next_bad] == writer.position:
                source_file, position = writer.write(bad_rows, next_bad, bad_kinds[next_bad])
                result.bad_records.append(
                    {"channel": channel, "source_file": source_file, "position": position, "kind": bad_kinds[next_bad]}
                )
                next_bad += 1
            elif next_skip < n_skip and skip_at[next_skip] == writer.position:
                source_file, position = writer.write(skip_rows, next_skip, skip_kinds[next_skip])
                result.skipped_records.append(
                    {
                        "channel": channel,
                        "source_file": source_file,
                        "position": position,
                        "kind": skip_kinds[next_skip],
                    }
                )
                next_skip += 1
            else:
                return

    for batch in chunks:
        _count_dimensions(result.dimension_counts, batch)
        for low in range(0, len(batch["secs"]), ROW_SLICE):
            part = {k: v[low : low + ROW_SLICE] for k, v in batch.items()}
            rows = _rows(part, ctx, handling, as_of)
            life = _life(part, rows["_utc"])
            for i in range(len(rows["utc"])):
                write_due_bad()
                writer.write(rows, i, None)
                result.lives.append(_life_line(writer.last_id, channel, rows["_utc"][i], life, i, part))
    write_due_bad()
    if first_day is not None:
        result.updates = _write_updates(ctx, channel, surges, first_day, writer)
        result.generated += result.updates
    writer.close()
    return result


# A complaint's whole life as drawn, whatever its channel's source tells of it (phone and web: all of it;
# email: the responses, resolutions and the customer writing again; social: only the author posting again).
LIVES_HEADER = (
    "complaint_id",
    "channel",
    "received_at",
    "first_response_at",
    "resolved_at",
    "reopened_at",
    "resolved_again_at",
    "closed_at",
    "satisfaction_score",
)


def _life_line(complaint_id: str, channel: str, received: int, life: dict, i: int, batch: Batch) -> list[str]:
    def moment(epoch: int) -> str:
        return "" if epoch >= _NEVER else dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

    score = int(batch["satisfaction"][i])
    return [
        complaint_id,
        channel,
        moment(received),
        *(moment(life[e][i]) for e in _EVENTS),
        str(score) if score else "",
    ]


def _zero_dimension_counts() -> dict[str, np.ndarray]:
    return {d: np.zeros(len(_DIMENSION_VALUES[d]), dtype=np.int64) for d in ("category", "product", "region")}


def _count_dimensions(counts: dict[str, np.ndarray], batch: Batch) -> None:
    for dimension, tally in counts.items():
        tally += np.bincount(batch[dimension], minlength=len(tally))


# --- days and ranges --------------------------------------------------------------------------------


class Options(TypedDict, total=False):
    """What the generated files depend on besides their dates; DEFAULTS fills in what a call leaves out."""

    per_day: int  # new complaints on an ordinary weekday, about
    seed: int  # the same seed writes the same files
    country: str  # whose public holidays bring more complaints
    local_tz: str  # the call centre's time zone


DEFAULTS: Options = {"per_day": 2000, "seed": 42, "country": "CN", "local_tz": DEFAULT_TZ}


def _options(options: Options) -> Options:
    chosen = DEFAULTS | options
    if chosen["per_day"] < 0:
        raise ValueError(f"per_day must be >= 0, got {chosen['per_day']}")
    return chosen


def _day_context(day: dt.date, out_dir: Path, options: Options) -> _Day:
    return _Day(day, options["seed"], options["per_day"], options["country"], _Clock(options["local_tz"]), out_dir)


def generate_day(
    day: dt.date,
    out_dir: Path,
    surges: Sequence[Surge] = (),
    first_day: dt.date | None = None,
    suspects: Sequence[Suspect] = (),
    **options: Unpack[Options],
) -> DaySummary:
    """Write one day's files for every channel and its ground truth; ``surges`` and ``suspects`` (floods and
    campaigns) may include inactive ones. With first_day, the files also hold that day's changes to complaints
    received from first_day on."""
    chosen = _options(options)
    ctx = _day_context(day, Path(out_dir), chosen)
    active = _active(surges, day)
    planned = (*surges, *suspects)
    results = {channel: _write_channel(ctx, channel, planned, first_day) for channel in CHANNELS}
    holiday = is_holiday(day, chosen["country"])
    _write_json(
        ctx.out_dir / "_ground_truth" / f"{day.isoformat()}.json",
        {
            "date": day.isoformat(),
            **{name: chosen[name] for name in ("seed", "per_day", "country", "local_tz")},
            "is_holiday": holiday,
            "weekday": WEEKDAY_NAMES[day.weekday()],
            # generated: every record written (new complaints, bad records, non-complaints, and updates:
            # later versions of complaints received on earlier days or earlier that day)
            "counts": {
                ch: {"generated": r.generated, "bad": r.bad, "skipped": r.skipped, "updates": r.updates}
                for ch, r in results.items()
            },
            "surges": [s.as_json() for s in active],
            # Floods and copy campaigns injected that day: their complaints are among the good records.
            "suspects": [s.as_json() for s in _active(suspects, day)],
            "bad_records": [b for r in results.values() for b in r.bad_records],
            "skipped_records": [b for r in results.values() for b in r.skipped_records],
            "dimension_counts": _dimension_counts_json(results),
        },
    )
    lives = ctx.out_dir / "_ground_truth" / "lives" / f"{day.isoformat()}.csv"
    lives.parent.mkdir(parents=True, exist_ok=True)
    with lives.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LIVES_HEADER)
        writer.writerows(line for r in results.values() for line in r.lives)
    counts = {ch: ChannelCount(r.generated, r.bad, r.updates) for ch, r in results.items()}
    return DaySummary(day, holiday, counts, active)


def count_day(
    day: dt.date, surges: Sequence[Surge] = (), suspects: Sequence[Suspect] = (), **options: Unpack[Options]
) -> dict[str, dict[str, int]]:
    """The good records per channel, category, product and region that ``generate_day`` would write, unwritten.

    The same random streams, so the counts equal the day's ground truth ``dimension_counts``; for evaluating
    surge detection on long ranges without writing (or ingesting) their files.
    """
    ctx = _day_context(day, Path(), _options(options))
    active = _active((*surges, *suspects), day)
    results = {}
    for channel in CHANNELS:
        n_good, chunks = _good_chunks(ctx, channel, active)
        result = _ChannelResult(n_good, 0, [], _zero_dimension_counts())
        for batch in chunks:
            _count_dimensions(result.dimension_counts, batch)
        results[channel] = result
    return _dimension_counts_json(results)


def _dimension_counts_json(results: dict[str, _ChannelResult]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for dimension in ("category", "product", "region"):
        total = sum(r.dimension_counts[dimension] for r in results.values())
        out[dimension] = dict(zip(_DIMENSION_VALUES[dimension], (int(x) for x in total), strict=True))
    out["channel"] = {ch: r.generated - r.bad - r.skipped - r.updates for ch, r in results.items()}
    return out


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def generate(
    start: dt.date,
    end: dt.date,
    out_dir: Path,
    surges: Sequence[Surge] | None = None,
    on_day: Callable[[DaySummary], None] | None = None,
    suspects: Sequence[Suspect] | None = None,
    **options: Unpack[Options],
) -> GenerationSummary:
    """Write every day from ``start`` to ``end`` (inclusive) under ``out_dir``.

    Each (seed, day, channel) draws from its own random streams, so a day's files are the same whatever
    range it is generated in, unless a randomly chosen surge (which depends on the range) covers it.

    ``surges=None`` chooses surges from the seed for the range; ``[]`` means none; a list forces those.
    ``suspects`` (floods and copy campaigns, sample_data.suspects) likewise. The CRM's customer export
    (sample_data.crm) is written as of ``end``.
    ``on_day`` is called after each day is written (the CLI prints progress with it).
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    chosen_options = _options(options)
    seed = chosen_options["seed"]
    out_dir = Path(out_dir)
    chosen = choose_surges(start, end, seed, chosen_options["country"]) if surges is None else list(surges)
    if suspects is None:
        suspects = choose_suspects(start, end, seed, chosen_options["country"])
    summary = GenerationSummary(start, end, seed, chosen_options["per_day"], chosen, suspects=list(suspects))
    _write_json(
        out_dir / "_ground_truth" / "surges.json",
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "seed": seed,
            "surges": [s.as_json() for s in chosen],
            "suspects": [s.as_json() for s in suspects],
        },
    )
    for k in range((end - start).days + 1):
        day = start + dt.timedelta(days=k)
        day_summary = generate_day(day, out_dir, chosen, first_day=start, suspects=suspects, **chosen_options)
        summary.days.append(day_summary)
        if on_day is not None:
            on_day(day_summary)
    # The CRM's customer export, the fifth source, as of the range's last day.
    write_crm_export(out_dir, end, _day_context(end, out_dir, chosen_options).pool, seed)
    return summary
