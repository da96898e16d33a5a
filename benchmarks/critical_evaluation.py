"""The fast lane's keyword rules on real complaints: the CFPB narratives of tests/fixtures/real/narratives.

    PYTHONPATH=plugins .venv/bin/python benchmarks/critical_evaluation.py [--limit N]

The model itself runs: the narratives become the rows of `intermediate.int_complaints_categorised` in a scratch
DuckDB warehouse (channel web, language en, no severity: the CFPB has none), and dbt builds seed
critical_keywords and `marts.critical_complaints` on them, as the pipeline does.

Ground truth, written down before the rules were run on these texts, from what the consumer chose on the CFPB
form and not from the text the rules read:
- legal: the Issue or Sub-issue names legal action: one of the words sue, sued, suing, lawsuit, legal, court,
  attorney, arrest, jail (for example "Took or threatened to take negative or legal action", "Threatened to sue
  you for very old debt"). The legal rule is measured against it: precision, recall.
- The CFPB's taxonomy names no injury, fire, safety hazard, media or group complaint: for those rules only how
  many narratives each flags is printed, with the keywords that flagged them, for a person to judge.
Printed too: the share of narratives the fast lane would email (each on its own).
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402
from scratch import scratch_settings  # noqa: E402

from complaints_pipeline import critical_model  # noqa: E402
from complaints_pipeline.transform import run_dbt  # noqa: E402
from complaints_pipeline.warehouse import TABLE_DDL, Connection  # noqa: E402

NARRATIVES = REPO / "tests" / "fixtures" / "real" / "narratives" / "cfpb_narratives.csv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="the first N narratives only")
    parser.add_argument("--home", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    logging.basicConfig(level=logging.WARNING)
    with NARRATIVES.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[: args.limit]
    labels = {r["complaint_id"]: critical_model.label(r["issue"], r["sub_issue"])["legal"] for r in rows}

    settings = scratch_settings(args.home, "critical-evaluation-")
    loaded = dt.datetime(2026, 1, 1)
    with Connection(settings) as con:
        con.execute("create schema if not exists intermediate")
        # The learned classifier's scores: none here, the keyword rules are measured (the classifier below).
        con.execute("create schema if not exists raw")
        con.execute(TABLE_DDL["raw.text_critical"])
        # What the mart's post-hook reads (dates loaded since): nothing was loaded again here.
        con.execute("create schema if not exists staging")
        con.execute(
            "create or replace view staging.stg_pipeline__complaint_date_loads as"
            " select cast(null as date) as complaint_date, cast(null as timestamp) as loaded_at where false"
        )
        con.execute(
            """create or replace table intermediate.int_complaints_categorised (
                complaint_id varchar, complaint_date date, received_at timestamp, channel varchar,
                complaint_category varchar, product varchar, region varchar, severity integer,
                language_code varchar, complaint_text varchar, loaded_at timestamp)"""
        )
        con.executemany(
            "insert into intermediate.int_complaints_categorised"
            " values (?, ?, ?, 'web', null, ?, null, null, 'en', ?, ?)",
            [
                (
                    f"CFPB-{r['complaint_id']}",
                    r["date_received"],
                    r["date_received"],
                    r["product"],
                    r["narrative"],
                    loaded,
                )
                for r in rows
            ],
        )
    started = time.perf_counter()
    # The seed and the mart on the narratives (a first build: every row), as the pipeline builds them.
    run_dbt(settings, "build", "--select", "critical_keywords", "critical_complaints", "--full-refresh")
    seconds = time.perf_counter() - started
    with Connection(settings) as con:
        found = con.execute(
            "select complaint_id, critical_rules, matched_keyword from marts.critical_complaints"
        ).fetchall()
        [(keyword_rows,)] = con.execute("select count(*) from reference.critical_keywords").fetchall()
    rules = {cid.removeprefix("CFPB-"): set(r.split(", ")) for cid, r, _ in found}

    print(f"{len(rows):,} real CFPB narratives ({NARRATIVES.relative_to(REPO)}), {keyword_rows} keywords;"
          f" dbt build of the seed and the mart: {seconds:.1f} s")  # fmt: skip
    print(f"the fast lane would email {len(rules):,} of them ({len(rules) / len(rows):.1%}), each on its own")
    per_rule = collections.Counter(rule for found_rules in rules.values() for rule in found_rules)
    keywords = collections.defaultdict(collections.Counter)
    for _, rule_list, keyword in found:
        keywords[rule_list.split(", ")[0]][keyword] += 1
    for rule, count in per_rule.most_common():
        top = ", ".join(f"{k} {n}" for k, n in keywords[rule].most_common(4))
        print(f"  {rule:<8} {count:5,} narratives ({count / len(rows):.1%}); first keyword: {top}")
    positives = {cid for cid, legal in labels.items() if legal}
    flagged = {cid for cid, found_rules in rules.items() if "legal" in found_rules}
    true = len(positives & flagged)
    precision = true / len(flagged) if flagged else 0.0
    recall = true / len(positives) if positives else 0.0
    print(f"legal, against the consumer's Issue or Sub-issue naming legal action ({len(positives):,} narratives):")
    print(f"  flagged {len(flagged):,}, of them labelled {true:,}: precision {precision:.2f}, recall {recall:.2f}")
    # The learned classifier of the same rule, from the same labels: each narrative judged by a model fitted on the
    # other folds.
    if len(positives) < 5:
        print(f"  the learned classifier: {len(positives)} labelled narratives, too few to fit and judge one")
        return
    started = time.perf_counter()
    held_out = critical_model.evaluate([r["narrative"] for r in rows], [labels[r["complaint_id"]] for r in rows])
    seconds = time.perf_counter() - started
    judged = "-" if held_out["precision"] is None else f"{held_out['precision']:.2f}"
    print(f"  the learned classifier (critical_model.py), each narrative judged by a model fitted without it"
          f" ({held_out['folds']} folds), at probability"
          f" {held_out['min_probability']}: flagged {held_out['flagged']}, precision {judged},"
          f" recall {held_out['recall']:.2f} ({seconds:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    run(main)
