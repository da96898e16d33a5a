"""The intraday run's stages on a generated day landing as it would during the day (real files, parsers, suites and
a DuckDB warehouse; no Airflow): each run reads only what landed by its time and not before, a rerun reads
nothing, and the daily run after midnight leaves every record loaded once, as if no intraday run had been."""

from __future__ import annotations

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

import duckdb
import pytest
from homes import settings_in

from complaints_pipeline import intraday, pipeline
from complaints_pipeline.reference import CHANNELS
from complaints_pipeline.sample_data import Surge, generate
from complaints_pipeline.sample_data.drops import land_during_day

DAY = dt.date(2026, 9, 9)  # a Wednesday
TZ = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0) -> intraday.AsOf:
    return intraday.AsOf.at(dt.datetime.combine(DAY, dt.time(hour, minute), TZ), "Asia/Shanghai")


def rows(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def run(as_of: intraday.AsOf) -> dict[str, int]:
    """One intraday run's extract and load: the new records each channel read."""
    channels = intraday.new_channels(as_of)
    read = {c: intraday.extract(c, as_of)["new_records"] for c in channels}
    if channels:
        intraday.load(channels, as_of)
    return read


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    home = tmp_path_factory.mktemp("intraday")
    surge = Surge("channel", "social", DAY, multiplier=3.0, start_minute=10 * 60)
    generate(DAY, DAY, home / "landing", per_day=400, seed=11, surges=[surge])
    landed = land_during_day(home / "landing", DAY, every=10, lag=1)
    with settings_in(home) as settings:
        yield settings, landed


def test_each_run_reads_what_landed_by_its_time_once_and_the_daily_run_loads_each_record_once(day) -> None:
    settings, landed = day
    truth = json.loads((settings.landing_dir / "_ground_truth" / f"{DAY}.json").read_text())["counts"]

    def records_landed_by(as_of: intraday.AsOf, channel: str) -> int:
        """Records in the channel's files landed by then: lines, posts or messages, counted from the files."""
        files = [p for t, p in landed if t <= as_of.utc and p.parts[-3] == channel]
        if channel == "web":
            return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)
        if channel == "social":
            return sum(len(json.loads(p.read_text(encoding="utf-8"))["data"]) for p in files)
        return len(files)

    morning = run(at(9))
    assert set(morning) == {"email", "web", "social"}  # the call centre's export lands at the day's end
    assert morning == {c: records_landed_by(at(9), c) for c in morning}
    assert run(at(9)) == {}  # a rerun of the same time: nothing new
    noon = run(at(12, 30))
    assert noon == {c: records_landed_by(at(12, 30), c) - records_landed_by(at(9), c) for c in noon}
    # What is loaded reconciles: records in = loaded + quarantined + skipped, for the day so far.
    recon = rows(settings, "select channel, records_in, loaded + quarantined + skipped from raw.load_reconciliation")
    assert {c: (n, n) for c, n, _ in recon} == {c: (records_landed_by(at(12, 30), c),) * 2 for c in noon}
    last = run(at(23, 59))
    assert sum(morning.values()) + sum(noon.values()) + sum(last.values()) == sum(
        records_landed_by(at(23, 59), c) for c in CHANNELS
    )
    intraday_loaded = dict(rows(settings, "select channel, loaded from raw.load_reconciliation"))

    # After midnight the daily run reads the day whole (the call centre's export and the status events have
    # landed too): every generated record is accounted for once, and what the intraday runs loaded is replaced.
    for channel in CHANNELS:
        pipeline.extract_channel(channel, [DAY.isoformat()])
    pipeline.load_warehouse(list(CHANNELS), [DAY.isoformat()])
    daily = {c: (n, loaded, q, s) for c, n, loaded, q, s in rows(
        settings, "select channel, records_in, loaded, quarantined, skipped from raw.load_reconciliation"
    )}  # fmt: skip
    for channel, counts in truth.items():
        assert daily[channel][0] == counts["generated"], channel
        assert daily[channel][1:] == (counts["generated"] - counts["bad"] - counts["skipped"], counts["bad"],
                                      counts["skipped"]), channel  # fmt: skip
    for channel in ("email", "social"):  # everything of theirs had landed by 23:59: the same records
        assert daily[channel][1] == intraday_loaded[channel]
    for channel in CHANNELS:
        [(versions, distinct)] = rows(
            settings, f"select count(*), count(distinct (source_file, source_position)) from raw.{channel}_complaints"
        )
        assert versions == distinct == daily[channel][1]
    summary = json.loads((settings.staging_dir / "web" / DAY.isoformat() / "summary.json").read_text())
    assert "partial" not in summary and summary["profile"]  # the daily run's whole day, judged by the day gate


def test_a_file_that_changed_since_it_was_read_makes_the_run_read_the_day_whole(day, tmp_path) -> None:
    settings, landed = day
    drops = [p for _, p in landed if p.parts[-3] == "web" and p.name.startswith("submissions")][:3]
    with settings_in(tmp_path) as fresh:
        folder = fresh.landing_dir / "web" / DAY.isoformat()
        folder.mkdir(parents=True)

        def put(source, text: str, hour: int) -> None:
            target = folder / source.name
            target.write_text(text, encoding="utf-8")
            os.utime(target, (at(hour).utc.timestamp(),) * 2)

        put(drops[0], drops[0].read_text(encoding="utf-8"), 8)
        first = len(drops[0].read_text(encoding="utf-8").splitlines())
        assert run(at(8, 30)) == {"web": first}
        # The exporter rewrote the first file with one more submission, and a second file landed.
        extra = drops[2].read_text(encoding="utf-8").splitlines(keepends=True)[0]
        put(drops[0], drops[0].read_text(encoding="utf-8") + extra, 9)
        put(drops[1], drops[1].read_text(encoding="utf-8"), 9)
        second = len(drops[1].read_text(encoding="utf-8").splitlines())
        assert run(at(9, 30)) == {"web": first + 1 + second}  # read whole: the old rows are not kept twice
        [(records_in, loaded)] = rows(fresh, "select records_in, loaded from raw.load_reconciliation")
        [(versions,)] = rows(fresh, "select count(*) from raw.web_complaints")
        assert records_in == first + 1 + second and versions == loaded
