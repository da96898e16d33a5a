"""No input crashes a day: landed files of every channel, mutated at random, through the parsers (600
variants) and through the extract stage itself (52: every mutation on every channel), with a seed printed so any failure
replays (FUZZ_SEED=<seed> pytest tests/unit/test_fuzz.py).

Mutations: byte flips, truncation, UTF-16 and UTF-32 (with and without a byte-order mark), a BOM in mid
file, NUL bytes, CR/LF mixes, a giant line, deep JSON nesting, invalid UTF-8 (in mbox too), duplicated
and deleted blocks. Asserted for each variant: no exception escapes, no hang (a 30 s alarm), every
non-blank file yields records or rejects, every reject has a reason; through the stage, in = loaded +
quarantined + skipped, and a day the gate blocks is staged, not lost.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from records import cfpb, cfpb_csv, form, jsonl, mail, mbox, phone_csv, phone_row, post, x_page

from complaints_pipeline import ingest, staging
from complaints_pipeline.config import load_settings
from complaints_pipeline.sources import PARSERS
from complaints_pipeline.sources.base import ParseContext, Reject, Skip

REAL = Path(__file__).parents[1] / "fixtures" / "real"
DAY = dt.date(2026, 10, 12)
SEED = int(os.environ.get("FUZZ_SEED", random.SystemRandom().randrange(1 << 32)))
PARSE_VARIANTS = 600
STAGE_VARIANTS = 52


def _seeds() -> list[tuple[str, str, bytes]]:
    """(channel, file name, bytes): real-shaped files of every format the channels read."""
    names = ["Paul Clark", "王娜", "Grace Hill"]
    phones = [phone_row(ticket_no=f"T{n}", caller_name=names[n % 3]) for n in range(6)]
    forms = [form(submission_id=f"S{n}", description=f"router broken, call 138-1234-567{n}") for n in range(6)]
    mails = [
        mail(message_id=f"<m{n}@example.cn>", body=f"My router is broken {n}.\n\nRegards,\nPaul Clark\n")
        for n in range(3)
    ]
    posts = [post(id=str(9001 + n), text=f"@AcmeCare my tv is broken #{n}") for n in range(5)]
    cfpb_real = (REAL / "cfpb" / "cfpb_2020_era.csv").read_bytes().splitlines(keepends=True)[:12]
    cpython = REAL / "mail" / "cpython"
    return [
        ("phone", f"calls_{DAY}.csv", phone_csv(*phones)),
        ("phone", f"calls_{DAY}_zh.csv", phone_csv(*phones[:3], encoding="gb18030")),
        ("web", f"forms_{DAY}.jsonl", jsonl(*forms)),
        ("web", "cfpb.csv", cfpb_csv(cfpb(), cfpb(**{"Complaint ID": "2"}))),
        ("web", "cfpb_real.csv", b"".join(cfpb_real)),
        ("web", "cfpb.json", json.dumps([{"complaint_id": "7", "product": "Mortgage"}]).encode()),
        ("email", "1.eml", mails[0]),
        ("email", "msg_10.eml", (cpython / "msg_10.txt").read_bytes()),
        ("email", "msg_13.eml", (cpython / "msg_13.txt").read_bytes()),
        ("email", "box.mbox", mbox(*mails)),
        ("social", "x_page_1.json", x_page(*posts)),
        (
            "social",
            "weibo_1.json",
            json.dumps(
                {
                    "statuses": [
                        {
                            "idstr": "5",
                            "text": "路由器坏了",
                            "created_at": "Mon Oct 12 10:00:00 +0800 2026",
                            "user": {"idstr": "u9", "screen_name": "小王"},
                        }
                    ]
                }
            ).encode(),
        ),
    ]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _reencode(encoding: str) -> Callable[[random.Random, bytes], bytes]:
    def mutate(rng: random.Random, data: bytes) -> bytes:
        return data.decode("utf-8", errors="replace").encode(encoding)

    return mutate


def _insert(piece: Callable[[random.Random], bytes]) -> Callable[[random.Random, bytes], bytes]:
    """Insert a piece at a line start (or anywhere, half the time)."""

    def mutate(rng: random.Random, data: bytes) -> bytes:
        if rng.random() < 0.5:
            lines = _lines(data)
            at = rng.randrange(len(lines) + 1)
            return b"".join(lines[:at]) + piece(rng) + b"".join(lines[at:])
        at = rng.randrange(len(data) + 1)
        return data[:at] + piece(rng) + data[at:]

    return mutate


def _line_ends(rng: random.Random, data: bytes) -> bytes:
    return b"".join(
        line[:-1] + rng.choice([b"\n", b"\r\n", b"\r", b"\n\r"]) if line.endswith(b"\n") else line
        for line in _lines(data)
    )


def _deep(rng: random.Random) -> bytes:
    depth = rng.choice([1_000, 50_000, 200_000])
    inner = b'{"a":' * depth + b"1" + b"}" * depth if rng.random() < 0.5 else b"[" * depth + b"]" * depth
    return inner + b"\n"


def _block(keep: bool) -> Callable[[random.Random, bytes], bytes]:
    def mutate(rng: random.Random, data: bytes) -> bytes:
        start = rng.randrange(len(data) + 1)
        end = min(len(data), start + rng.randint(1, 400))
        return data[:end] + data[start:] if keep else data[:start] + data[end:]

    return mutate


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "byte_flips": _flip,
    "truncation": _truncate,
    "utf16": _reencode("utf-16"),
    "utf16_no_bom": _reencode("utf-16-le"),
    "utf32": _reencode("utf-32"),
    "bom_mid_file": _insert(lambda rng: rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])),
    "nul_bytes": _insert(lambda rng: b"\x00" * rng.randint(1, 4)),
    "line_end_mix": _line_ends,
    "giant_line": _insert(lambda rng: b"x" * rng.choice([70_000, 1_200_000]) + b"\n"),
    "deep_nesting": _insert(_deep),
    "invalid_utf8": _insert(
        lambda rng: rng.choice([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])
    ),
    "duplicated_block": _block(keep=True),
    "deleted_block": _block(keep=False),
}


def variants(count: int, salt: int) -> list[tuple[str, str, str, bytes]]:
    """(id, channel, file name, bytes): each seed file under one to three mutations, drawn from SEED."""
    rng = random.Random(SEED * 1_000_003 + salt)
    seeds = _seeds()
    kinds = sorted(MUTATIONS)
    out = []
    for number in range(count):
        channel, name, data = seeds[number % len(seeds)]
        # Every mutation kind on every file in turn, then one or two more at random.
        applied = [kinds[(number // len(seeds)) % len(kinds)]] + rng.sample(kinds, rng.randint(0, 2))
        for kind in applied:
            data = MUTATIONS[kind](rng, data)
        out.append((f"{number}:{name}:{'+'.join(applied)}", channel, name, data))
    return out


class _AlarmError(Exception):
    pass


def _on_alarm(*_):
    raise _AlarmError


def test_a_seed_is_printed_so_a_failure_replays(capsys) -> None:
    with capsys.disabled():
        print(f"\nfuzz seed: FUZZ_SEED={SEED}")
    assert len(variants(PARSE_VARIANTS, 0)) == PARSE_VARIANTS >= 500


@pytest.mark.slow
def test_no_variant_crashes_or_hangs_a_parser(tmp_path: Path) -> None:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    failures = []
    try:
        for variant, channel, name, data in variants(PARSE_VARIANTS, 0):
            folder = tmp_path / channel / DAY.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_bytes(data)
            ctx = ParseContext(channel, tmp_path, DAY, "Asia/Shanghai", "fuzz-key", (), ("@AcmeCare",))
            signal.alarm(30)
            try:
                items = list(PARSERS[channel](path, ctx))
            except _AlarmError:
                failures.append(f"{variant}: still parsing after 30 s")
                continue
            except Exception as error:  # noqa: BLE001 - the finding is which exception escaped
                failures.append(f"{variant}: {type(error).__name__}: {str(error)[:200]}")
                continue
            finally:
                signal.alarm(0)
                path.unlink()
            records = sum(item.num_rows if isinstance(item, pa.Table) else 1 for item in items)
            # A record may be lost only in a file that holds none: blank, or a CSV or JSON-lines header alone.
            holds = (
                len(data.split()) > 0
                if channel in ("email", "social") or name.endswith(".json")
                else (len([line for line in data.splitlines() if line.strip()]) > 1)
            )
            if holds and records == 0:
                failures.append(f"{variant}: {len(data)} bytes gave no record, reject or skip")
            for item in items:
                if isinstance(item, Reject | Skip) and not item.reason:
                    failures.append(f"{variant}: a {type(item).__name__} without a reason")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not failures, f"FUZZ_SEED={SEED}: {len(failures)} variants failed:\n" + "\n".join(failures[:20])


@pytest.mark.slow
def test_no_variant_crashes_the_extract_stage_and_every_record_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    failures = []
    for number, (variant, channel, name, data) in enumerate(variants(STAGE_VARIANTS, 1)):
        day = DAY + dt.timedelta(days=number)  # each variant its own date: one file per day
        folder = settings.landing_dir / channel / day.isoformat()
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)
        try:
            ingest.extract(channel, [day], settings)
        except ingest.BatchBlockedError:
            pass  # the day gate's verdict: the day is staged for inspection, not lost
        except Exception as error:  # noqa: BLE001 - the finding is which exception escaped
            failures.append(f"{variant}: {type(error).__name__}: {str(error)[:200]}")
            continue
        summary = staging.staged_summary(settings.staging_dir, channel, day)
        if summary is None:
            failures.append(f"{variant}: nothing staged")
            continue
        counted = summary["loaded"] + summary["quarantined"] + summary["skipped"]
        if summary["records_in"] != counted:
            failures.append(f"{variant}: {summary['records_in']} in, {counted} loaded, quarantined or skipped")
    assert not failures, f"FUZZ_SEED={SEED}: {len(failures)} variants failed:\n" + "\n".join(failures)
