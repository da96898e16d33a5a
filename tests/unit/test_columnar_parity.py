"""The columnar paths (phone CSV, web JSON lines) give exactly what the row paths give: rows, rejects, positions.

The row path is the specification (the bad-input suite pins its reasons); the columnar path is the
fast way to the same result, so every comparison here is item by item, on every phone case, on a
generated day, and on a file whose middle the columnar reader cannot read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from test_bad_input import CASES, DAY, phone_csv, phone_row

from complaints_pipeline import pii, sample_data
from complaints_pipeline.sources import columnar, phone, web
from complaints_pipeline.sources.base import ParseContext

GENERATED_DAY = dt.date(2026, 10, 14)


def _expand(items) -> list:
    rows = []
    for item in items:
        rows.extend(item.to_pylist() if isinstance(item, pa.Table) else [item])
    return rows


def _web_row_path(path: Path, ctx: ParseContext) -> list:
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        items = [web._jsonl_line(line, number, ctx, ctx.relative(path)) for number, line in enumerate(handle, 1)]
    return [item for item in items if item is not None]


def _both_paths(path: Path, landing: Path, day: dt.date, channel: str = "phone") -> tuple[list, list, int]:
    ctx = ParseContext(channel, landing, day, "Asia/Shanghai", "test-key")
    if channel == "phone":
        items = list(phone.parse_file(path, ctx))
        rows = list(phone._row_path(path, ctx, phone.sniff_encoding(path)))
    else:
        items = list(web.parse_file(path, ctx))
        rows = _web_row_path(path, ctx)
    tables = sum(isinstance(item, pa.Table) for item in items)
    return _expand(items), rows, tables


@pytest.mark.parametrize(
    "name", sorted(n for n, c in CASES.items() if c.channel == "phone" or any(f.endswith(".jsonl") for f in c.files))
)
def test_every_case_gives_the_same_items_on_both_paths(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    folder = tmp_path / case.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    for file_name, data in case.files.items():
        (folder / file_name).write_bytes(data)
        columnar_items, row_items, _ = _both_paths(folder / file_name, tmp_path, DAY, case.channel)
        assert columnar_items == row_items


@pytest.fixture(scope="module")
def generated_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("landing")
    sample_data.generate_day(GENERATED_DAY, landing, per_day=4000, seed=7)
    return landing


@pytest.fixture(scope="module")
def generated_phone_file(generated_day: Path) -> Path:
    (path,) = (generated_day / "phone" / GENERATED_DAY.isoformat()).glob("*.csv")
    return path


def test_generated_form_submissions_give_the_same_items_in_small_blocks(
    generated_day: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "BLOCK_BYTES", 32 << 10)
    (path,) = (generated_day / "web" / GENERATED_DAY.isoformat()).glob("*.jsonl")
    columnar_items, row_items, tables = _both_paths(path, generated_day, GENERATED_DAY, "web")

    assert len(row_items) > 1000 and tables > 10
    assert columnar_items == row_items


def test_a_bare_carriage_return_hands_the_rest_of_a_jsonl_file_to_the_row_path(
    generated_day: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "BLOCK_BYTES", 32 << 10)
    (source,) = (generated_day / "web" / GENERATED_DAY.isoformat()).glob("*.jsonl")
    lines = source.read_bytes().split(b"\n")
    middle = len(lines) // 2
    folder = tmp_path / "web" / GENERATED_DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / "s.jsonl"
    path.write_bytes(b"\n".join([*lines[:middle], lines[middle] + b"\r" + lines[middle + 1], *lines[middle + 2 :]]))

    columnar_items, row_items, tables = _both_paths(path, tmp_path, GENERATED_DAY, "web")

    assert tables >= 1
    assert columnar_items == row_items


def test_a_generated_day_gives_the_same_items_in_small_batches(
    generated_phone_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone, "BLOCK_BYTES", 64 << 10)
    landing = generated_phone_file.parents[2]
    columnar_items, row_items, tables = _both_paths(generated_phone_file, landing, GENERATED_DAY)

    assert len(row_items) > 1500
    assert tables > 10  # the columnar path did the work, in many batches
    assert columnar_items == row_items


def test_a_ragged_row_mid_file_hands_the_rest_to_the_row_path(
    generated_phone_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone, "BLOCK_BYTES", 64 << 10)
    lines = generated_phone_file.read_bytes().split(b"\n")
    middle = len(lines) // 2
    while lines[middle].count(b'"') % 2:  # insert between whole rows, not inside a quoted note
        middle += 1
    folder = tmp_path / "phone" / GENERATED_DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / "calls.csv"
    path.write_bytes(b"\n".join([*lines[:middle], b"T-ragged,2026-10-14 09:00:00,only three", *lines[middle:]]))

    columnar_items, row_items, tables = _both_paths(path, tmp_path, GENERATED_DAY)

    assert tables > 1
    assert columnar_items == row_items
    (ragged,) = [item for item in row_items if isinstance(item, phone.Reject) and "has 3 cells" in item.reason]
    assert ragged.raw_record == "T-ragged,2026-10-14 09:00:00,only three"


def test_a_row_the_columnar_rules_doubt_keeps_its_place(tmp_path: Path) -> None:
    folder = tmp_path / "phone" / DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / "calls.csv"
    rows = [phone_row(ticket_no="T1"), phone_row(ticket_no=" T2 ", severity=" 2"), phone_row(ticket_no="T2")]
    path.write_bytes(phone_csv(*rows))

    columnar_items, row_items, _ = _both_paths(path, tmp_path, DAY)

    assert columnar_items == row_items
    assert [row["source_position"] for row in columnar_items] == ["1", "2", "3"]
    assert columnar_items[1]["severity"] == 2  # " 2" went the row path and was read as 2


@pytest.mark.parametrize("key", ["k", "x" * 100, "密钥"])
def test_customer_keys_are_the_same_keyed_hash(key: str) -> None:
    identities = ["AC1", " Ab@x.COM ", None, "", "  ", "İstanbul", "电话13800000000"]
    hashed = columnar.customer_keys(pa.array(identities, pa.string()), key).to_pylist()
    assert hashed == [pii.customer_key(value, key) for value in identities]
    assert hashed[2] is None and hashed[3] is None and hashed[4] is None
