"""Every script under benchmarks/ runs here (or in test_benchmarks_airflow.py) at a tiny size, as a user runs it
(its own process, from the repository), so a change that breaks one fails CI instead of rotting until someone
needs the figures.

Each run must exit 0 and print its figures; the figures themselves are the scripts' business (timings vary
with the machine), but what a tiny run can know exactly is checked: the counts it reports.
"""

from __future__ import annotations

import csv
import re

import pytest
from benchmark_scripts import figure, run, run_whole_runs
from helpers import REPO_ROOT

pytestmark = pytest.mark.benchmark

HELPERS = {"scratch.py", "harness.py"}  # modules the scripts share, not benchmarks
SCRIPTS = sorted(p.name for p in (REPO_ROOT / "benchmarks").glob("*.py") if p.name not in HELPERS)


def test_every_benchmark_has_a_tiny_run_here() -> None:
    tested = {
        "categorisation_evaluation.py",
        "copies_evaluation.py",
        "critical_evaluation.py",
        "customer_value_evaluation.py",
        "intraday_replay.py",  # its tiny run, under a real scheduler, is in tests/e2e/test_complaints_daily.py
        "daily_at_scale.py",  # this and the next in test_benchmarks_airflow.py
        "dag_overhead.py",
        "incremental_benchmark.py",
        "ingest_benchmark.py",
        "measure_all.py",
        "sentiment_evaluation.py",
        "surge_evaluation.py",
    }
    assert set(SCRIPTS) == tested, "a benchmark without a tiny run here or in test_benchmarks_airflow.py rots"


def test_sentiment_evaluation(tmp_path) -> None:
    """Both scorers on 200 real labelled texts of each language (every k-th): each set's class counts as the
    labels have them, every figure printed."""
    out = run("sentiment_evaluation.py", "--limit", "200", tmp_path=tmp_path)
    for name in ("english", "chinese"):
        with (REPO_ROOT / f"tests/fixtures/real/sentiment/{name}.csv").open(encoding="utf-8", newline="") as f:
            labels = [row["label"] for row in csv.DictReader(f)]
        labels = labels[:: len(labels) // 200][:200]
        classes = ", ".join(f"{label} {labels.count(label)}" for label in sorted(set(labels)))
        assert f"{name}: 200 real labelled texts (tests/fixtures/real/sentiment/{name}.csv; {classes})" in out
    accuracy = [float(a) for a in re.findall(r"accuracy (\d\.\d+)", out)]
    assert len(accuracy) == 3 and all(0.3 < a <= 1 for a in accuracy)  # VADER, the Chinese lexicon, pysenti's
    predicted = re.findall(r"predicted: negative (\d+), neutral (\d+), positive (\d+)", out)
    assert [sum(int(n) for n in counts) for counts in predicted] == [200, 200]


def test_measure_all_keeps_each_output_with_its_commit_and_names_the_failed(tmp_path) -> None:
    """The docs' figures in one go, here two small ones: each output kept whole, with its header; a script that
    fails (an argument it does not know) is named, and the whole run exits 1."""
    out = run("measure_all.py", "--only", "sentiment", "--out", str(tmp_path / "m"), "--extra=--limit 30",
              tmp_path=tmp_path)  # fmt: skip
    kept = (tmp_path / "m" / "sentiment.txt").read_text(encoding="utf-8")
    assert re.search(r"^measured: .* at commit [0-9a-f]{7}", kept, re.M) and "english: 30 real labelled texts" in kept
    assert "all 1 measured" in out
    out = run("measure_all.py", "--only", "copies", "sentiment", "--out", str(tmp_path / "m"), "--extra=--bogus",
              tmp_path=tmp_path, exit_code=1)  # fmt: skip
    assert re.search(r"^FAILED: copies, sentiment ", out, re.M), out
    assert "unrecognized arguments: --bogus" in out


def test_copies_evaluation(tmp_path) -> None:
    """The linker on the real comments: the labelled copies counted by the rule, the flag's figures printed."""
    out = run("copies_evaluation.py", tmp_path=tmp_path)
    with (REPO_ROOT / "tests/fixtures/real/copies/texts.csv").open(encoding="utf-8", newline="") as f:
        labelled = sum("One piece of information that is often important" in row["text"] for row in csv.DictReader(f))
    assert (
        f"470 real public comments (tests/fixtures/real/copies/texts.csv), {labelled} labelled campaign copies" in out
    )
    flagged, true = (
        int(n)
        for n in figure(r"flagged (\d+ rows in groups of 5\+, \d+) of them", out).split(" rows in groups of 5+, ")
    )
    assert 0 < true <= min(flagged, labelled)
    # The campaign is one group: the largest holds most of the labelled copies.
    assert int(figure(r"groups of 2\+: (\d+)", out)) > labelled // 2


def test_customer_value_evaluation(tmp_path) -> None:
    """RFM on the first 60 real customers: every one loaded through the CRM checks, the segments adding up."""
    out = run("customer_value_evaluation.py", "--limit", "60", "--home", str(tmp_path / "crm"), tmp_path=tmp_path)
    assert "60 real customers of an online retailer" in out and "60 loaded, 0 quarantined" in out
    rows = re.findall(r"^  (\w+) +(\d+) +([\d.]+)% +([\d.]+)%", out, re.M)
    assert sum(int(r[1]) for r in rows) == 60 and abs(sum(float(r[3]) for r in rows) - 100) < 0.5
    assert 0 < float(figure(r"the top fifth by value score holds ([\d.]+)% of the spend", out)) <= 100


def test_critical_evaluation(tmp_path) -> None:
    """The fast lane's rules on the first 300 real CFPB narratives: the mart built by dbt, every figure printed."""
    out = run("critical_evaluation.py", "--limit", "300", "--home", str(tmp_path / "critical"), tmp_path=tmp_path)
    assert "300 real CFPB narratives" in out
    flagged = int(figure(r"the fast lane would email (\d+) of them", out))
    assert 0 < flagged < 300
    # The ground truth's rule, counted here on the same rows: the consumer's Issue or Sub-issue names legal action.
    with (REPO_ROOT / "tests/fixtures/real/narratives/cfpb_narratives.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[:300]
    legal = re.compile(r"\b(sue|sued|suing|lawsuit|legal|court|attorney|arrest|jail)\b", re.I)
    labelled = sum(1 for r in rows if legal.search(f"{r['issue']} {r['sub_issue']}"))
    assert f"naming legal action ({labelled} narratives)" in out
    true, flagged_legal = (int(n) for n in re.search(r"flagged (\d+), of them labelled (\d+)", out).groups()[::-1])
    assert 0 <= true <= min(labelled, flagged_legal)
    # The learned classifier of the same label, each narrative judged by a model that did not see it.
    learned = re.search(r"the learned classifier .* \((\d) folds\), at probability 0.5: flagged (\d+)", out)
    assert learned and int(learned.group(1)) == min(5, labelled) and int(learned.group(2)) <= 300


def test_surge_evaluation(tmp_path) -> None:
    out = run(
        "surge_evaluation.py", "--start", "2026-01-05", "--end", "2026-03-29", "--per-day", "300",
        "--home", str(tmp_path / "surges"), tmp_path=tmp_path,
    )  # fmt: skip
    assert "84 days from 2026-01-05 to 2026-03-29, 24 series" in out
    assert "8 injected surges on 18 days" in out
    for name in ("complaint_surges_daily", "3-sigma same weekday, 4 wk", "EARS C2", "Farrington-style"):
        recall, precision, f1 = (
            float(f) for f in re.search(re.escape(name) + r"\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out).groups()
        )
        assert 0 <= min(recall, precision, f1) <= max(recall, precision, f1) <= 1
    assert "strict, complaint_surges_daily:" in out


def test_surge_evaluation_on_a_real_series(tmp_path) -> None:
    out = run(
        "surge_evaluation.py", "--series", str(REPO_ROOT / "tests/fixtures/real/series/comcast_fcc_2015.csv"),
        "--country", "US", "--home", str(tmp_path / "real"), tmp_path=tmp_path,
    )  # fmt: skip
    assert "comcast_fcc_2015: 91 days from 2015-04-01 to 2015-06-30, 45 series, 2,224 complaints" in out
    for name in ("complaint_surges_daily", "EARS C2", "Farrington-style", "3-sigma same weekday, 12 wk"):
        assert 0 <= float(figure(re.escape(name) + r"\s+([\d.]+)", out)) <= 1
    # The cross-dimension rule on the same export's complaints (channel and state each), against the labelling
    # rule of tests/fixtures/real/series/SOURCES.md.
    assert "one surge, one alert across dimensions (comcast_fcc_2015_complaints.csv, 2,224 complaints)" in out
    explained, lifted, both = (
        int(n) for n in re.search(r"another dimension: (\d+); labelled lifted: (\d+); both: (\d+)", out).groups()
    )
    assert 0 < both <= min(explained, lifted)
    before, after = (int(n) for n in re.search(r"alert lines .*?: (\d+) without the rule, (\d+) with it", out).groups())
    assert after <= before


def test_categorisation_evaluation(tmp_path) -> None:
    out = run("categorisation_evaluation.py", "--limit", "400", tmp_path=tmp_path)
    for name in ("keyword rules, word boundaries", "learned classifier, 5-fold CV"):
        assert 0 <= float(figure(re.escape(name) + r"\s+([\d.]+)", out)) <= 1


def test_ingest_benchmark(tmp_path) -> None:
    out = run("ingest_benchmark.py", "--per-day", "200", "--work", str(tmp_path / "ingest"), tmp_path=tmp_path)
    records = int(figure(r"records ingested\s+([\d,]+)", out).replace(",", ""))
    per_channel = sum(int(n.replace(",", "")) for n in re.findall(r"^\s+\w+\s+([\d,]+) records", out, re.M))
    assert records == per_channel > 200
    assert float(figure(r"ratio to DuckDB, all\s+([\d.]+)", out)) > 0
    extracts = float(figure(r"= extracts ([\d.]+) s", out))
    load = float(figure(r"\+ load ([\d.]+) s", out))
    assert float(figure(r"pipeline\s+([\d.]+) s =", out)) == pytest.approx(extracts + load, abs=0.11)
    assert 0 < float(figure(r"peak memory\s+(\d+) MiB \(largest extract\)", out)) < 4096


def test_a_benchmark_whose_stage_fails_exits_non_zero_saying_which_stage_on_stdout(tmp_path) -> None:
    """No quarantined record allowed: the generator's few bad phone records block its day, so the phone extract
    fails; the script stops there, saying so, and prints no ratio."""
    out = run(
        "ingest_benchmark.py", "--per-day", "200", "--work", str(tmp_path / "ingest"), tmp_path=tmp_path,
        env={"COMPLAINTS_MAX_QUARANTINED_SHARE": "0"}, exit_code=1,
    )  # fmt: skip
    assert re.search(r"^FAILED: extract (phone|email|web|social): exit 1:", out, re.M), out
    assert "BatchBlockedError" in out and "ratio to DuckDB" not in out


def test_incremental_benchmark(tmp_path) -> None:
    out = run_whole_runs("incremental_benchmark.py", 21, tmp_path)
    small = int(figure(r"\s7 days of history: ([\d,]+) complaints", out).replace(",", ""))
    large = int(figure(r"21 days of history: ([\d,]+) complaints", out).replace(",", ""))
    assert large > 2 * small  # three copies of the week
    assert float(figure(r"ratio 21 / 7 days, whole run:\s+([\d.]+)", out)) > 0
    growing = out.split("the nodes that grow the most, median seconds on 7 -> 21 days:\n")[1].splitlines()
    assert len(growing) == 12 and all(re.fullmatch(r"  \S+ +\d+\.\d\d s -> +\d+\.\d\d s", g) for g in growing), growing
