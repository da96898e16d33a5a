"""Customer value (RFM) on a real retailer's customers: what the segments hold.

    PYTHONPATH=plugins .venv/bin/python benchmarks/customer_value_evaluation.py [--limit N]

The customers are 300 of the UCI "Online Retail" dataset's (a UK online retailer, 2010-12 to 2011-12;
tests/fixtures/real/crm, SOURCES.md says how they were drawn and aggregated), in the shape of the CRM export the
pipeline reads, as of the dataset's last invoice day, 2011-12-09. They go the pipeline's way: customers.check
(the checks, the keys), raw.crm_customers in a scratch DuckDB warehouse, and dbt builds stg_crm__customers and
marts.customer_segments on them.

RFM has no ground truth to score against; printed is what a manager would ask of it: each segment's share of the
customers and of the spend, its median recency and orders, and how much of the spend the top fifth by value score
holds.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import logging
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402
from scratch import scratch_settings  # noqa: E402

from complaints_pipeline import customers  # noqa: E402
from complaints_pipeline.transform import run_dbt  # noqa: E402
from complaints_pipeline.warehouse import TABLE_DDL, Connection  # noqa: E402

EXPORT = REPO / "tests" / "fixtures" / "real" / "crm" / "customers.csv"
AS_OF = dt.date(2011, 12, 9)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="the first N customers only")
    parser.add_argument("--home", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    logging.basicConfig(level=logging.WARNING)
    settings = scratch_settings(args.home, "customer-value-")
    with EXPORT.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    settings.home.mkdir(parents=True, exist_ok=True)
    export = Path(tempfile.mkdtemp(dir=settings.home)) / f"customers_{AS_OF.isoformat()}.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows[: (args.limit or len(rows)) + 1])
    good, bad = customers.check(export, AS_OF, settings.pii_key)
    pq.write_table(good, export.with_suffix(".parquet"))
    with Connection(settings) as con:
        con.execute("create schema if not exists raw")
        con.execute(TABLE_DDL["raw.crm_customers"])
        con.execute("delete from raw.crm_customers")
        con.insert_parquet("raw.crm_customers", list(customers.COLUMNS), export.with_suffix(".parquet"))
    run_dbt(settings, "build", "--select", "stg_crm__customers", "customer_segments")
    shown = min(len(rows) - 1, args.limit or len(rows))
    print(f"{shown:,} real customers of an online retailer ({EXPORT.relative_to(REPO)}) as of {AS_OF}:"
          f" {good.num_rows:,} loaded, {bad.num_rows} quarantined")  # fmt: skip
    with Connection(settings) as con:
        segments = con.execute(
            """
            select
                customer_segment,
                count(*) as customers,
                count(*) / sum(count(*)) over () as customer_share,
                sum(spend_amount) / sum(sum(spend_amount)) over () as spend_share,
                median(recency_days) as median_recency,
                median(order_count) as median_orders
            from marts.customer_segments
            group by customer_segment
            order by spend_share desc
            """
        ).fetchall()
        [(top_share,)] = con.execute(
            """
            with ranked as (
                select spend_amount, row_number() over (order by customer_value_score desc, spend_amount desc) as n,
                    count(*) over () as total
                from marts.customer_segments
            )
            select sum(case when n <= total / 5.0 then spend_amount end) / sum(spend_amount) from ranked
            """
        ).fetchall()
    print("  segment          customers  share  spend share  median recency (days)  median orders")
    for segment, count, share, spend, recency, orders in segments:
        print(f"  {segment:<16} {count:9,}  {share:5.1%}  {spend:11.1%}  {recency:21.0f}  {orders:13.0f}")
    print(f"  the top fifth by value score holds {top_share:.1%} of the spend")


if __name__ == "__main__":
    run(main)
