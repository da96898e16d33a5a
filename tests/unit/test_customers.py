"""The CRM's customer export (customers.py): each check's reason, the keys, the newest export wins, in the load."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from complaints_pipeline import customers, pii
from complaints_pipeline.config import load_settings
from complaints_pipeline.warehouse import Connection

EXPORT_DAY = dt.date(2026, 12, 6)
HEADER = "customer_id,first_purchase_date,last_purchase_date,orders,spend\n"
GOOD = "AC00000001,2026-01-01,2026-11-01,3,300.50\n"


def _export(landing, day: dt.date, body: str):
    folder = landing / "crm" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"customers_{day.isoformat()}.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_each_bad_row_is_quarantined_with_its_reason_and_no_customer_id(tmp_path) -> None:
    path = _export(
        tmp_path,
        EXPORT_DAY,
        GOOD
        + ",2026-01-01,2026-11-01,3,300.50\n"
        + "AC00000002,2026-13-01,2026-11-01,3,300.50\n"
        + "AC00000003,2026-05-01,2026-04-01,3,300.50\n"
        + "AC00000004,2026-05-01,2026-12-31,3,300.50\n"
        + "AC00000005,2026-05-01,2026-06-01,zero,300.50\n"
        + "AC00000006,2026-05-01,2026-06-01,2,-5\n"
        + " ac00000001 ,2026-02-01,2026-11-02,1,10\n",
    )
    good, bad = customers.check(path, EXPORT_DAY, "key")
    assert good.to_pylist() == [
        {
            "customer_key": pii.customer_key("AC00000001", "key"),
            "first_purchase_date": dt.date(2026, 1, 1),
            "last_purchase_date": dt.date(2026, 11, 1),
            "order_count": 3,
            "spend_amount": 300.5,
            "export_date": EXPORT_DAY,
        }
    ]
    reasons = [(r["source_position"], r["failing_column"], r["reason"]) for r in bad.to_pylist()]
    assert reasons == [
        ("2", "customer_id", "no customer id"),
        ("3", "first_purchase_date", "the first purchase is not a date (YYYY-MM-DD)"),
        ("4", "last_purchase_date", "the last purchase is before the first"),
        ("5", "last_purchase_date", "the last purchase is after the export's date"),
        ("6", "orders", "orders is not a whole number of 1 or more"),
        ("7", "spend", "spend is not an amount of 0 or more"),
        ("8", "customer_id", "the customer id is in the export twice; its first row is loaded"),
    ]
    # The same customer's id, written another way, is quarantined under its key: no id is kept.
    twice = bad.to_pylist()[-1]
    assert "00000001" not in twice["raw_record"] and "00000001" not in (twice["failing_value"] or "")
    assert json.loads(twice["raw_record"])["customer_id"] == f"key:{pii.customer_key('AC00000001', 'key')}"


def test_an_export_that_is_no_crm_export_is_refused_by_name(tmp_path) -> None:
    path = tmp_path / "customers_2026-12-06.csv"
    path.write_text("id,name\n1,someone\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"customers_2026-12-06.csv: the header is \['id', 'name'\]"):
        customers.check(path, EXPORT_DAY, "key")


def test_the_load_keeps_the_newest_export_and_an_older_one_changes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    later = EXPORT_DAY + dt.timedelta(days=7)
    _export(settings.landing_dir, EXPORT_DAY, GOOD + "AC00000002,2026-01-01,2026-11-01,1,20\nbad,,,,\n")
    customers.load([EXPORT_DAY], settings)

    def loaded() -> list[tuple]:
        with Connection(settings, read_only=True) as con:
            return con.execute(
                "select export_date, count(*) from raw.crm_customers group by 1"
                " union all select partition_date, count(*) from raw.quarantine where channel = 'crm' group by 1"
            ).fetchall()

    assert loaded() == [(EXPORT_DAY, 2), (EXPORT_DAY, 1)]
    _export(settings.landing_dir, later, GOOD)
    customers.load([later], settings)
    assert sorted(loaded()) == [(EXPORT_DAY, 1), (later, 1)]
    # The older export loaded again (a rerun of its date): the newer stays.
    customers.load([EXPORT_DAY], settings)
    assert sorted(loaded()) == [(EXPORT_DAY, 1), (later, 1)]
