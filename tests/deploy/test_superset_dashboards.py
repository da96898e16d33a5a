"""The dashboards as code (deploy/superset/dashboards, imported by the compose stack's Superset on every start):
valid as Superset 6.1.0 imports them, one dashboard per audience, every column and metric they read present in
the marts. No Docker engine runs here, and Superset is not installed: the files are checked against its import
schemas (superset_import.py); tests/e2e runs each dataset's metrics on a real published snapshot."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from helpers import REPO_ROOT
from superset_import import bundle_errors, load, of_kind

BUNDLE = REPO_ROOT / "deploy" / "superset" / "dashboards"
MARTS_YML = REPO_ROOT / "dbt_project" / "models" / "marts" / "_marts__models.yml"


@pytest.fixture(scope="module")
def files() -> dict[str, dict]:
    return load(BUNDLE)


def mart_columns() -> dict[str, dict[str, str]]:
    """Each mart's documented columns and their descriptions, from the dbt yml."""
    models = yaml.safe_load(MARTS_YML.read_text(encoding="utf-8"))["models"]
    return {m["name"]: {c["name"]: " ".join(c.get("description", "").split()) for c in m["columns"]} for m in models}


def test_the_bundle_is_one_superset_6_imports(files) -> None:
    assert bundle_errors(files) == []
    assert len(of_kind(files, "datasets")) == 4 and len(of_kind(files, "charts")) == 13


@pytest.mark.parametrize(
    ("path", "change", "refusal"),
    [
        ("charts/surges.yaml", lambda c: c.update(owners=["admin"]), "Unknown field"),
        ("metadata.yaml", lambda c: c.update(version="1.0"), "version"),
        ("metadata.yaml", lambda c: c.update(timestamp=__import__("datetime").datetime(2026, 1, 1)), "quoted text"),
        ("databases/complaint_marts.yaml", lambda c: c.pop("extra"), "extra must be a mapping"),
        ("datasets/complaint_marts/complaint_surges_daily.yaml", lambda c: c.update(schema=None), "schema"),
        ("charts/surges.yaml", lambda c: c.update(dataset_uuid="00000000-0000-0000-0000-000000000000"), "not in"),
        ("dashboards/analysts.yaml", lambda c: c["position"]["CHART-causes_pareto"]["meta"].pop("uuid"), "meta.uuid"),
    ],
)
def test_the_checks_refuse_what_superset_refuses(files, path, change, refusal) -> None:
    broken = copy.deepcopy(files)
    change(broken[path])
    assert any(refusal in error for error in bundle_errors(broken)), bundle_errors(broken)


def test_a_dashboard_per_audience(files) -> None:
    dashboards = {d["dashboard_title"]: d for d in of_kind(files, "dashboards").values()}
    charts = {str(c["uuid"]): c for c in of_kind(files, "charts").values()}
    datasets = {str(d["uuid"]): d["table_name"] for d in of_kind(files, "datasets").values()}

    def reads(title: str) -> set[str]:
        position = dashboards[title]["position"].values()
        uuids = [str(i["meta"]["uuid"]) for i in position if isinstance(i, dict) and i.get("type") == "CHART"]
        return {datasets[str(charts[u]["dataset_uuid"])] for u in uuids}

    # Managers: KPIs against targets, and surges; analysts: the Paretos and the drill-down.
    assert reads("Complaints: service levels and surges") == {"complaint_kpis_daily", "complaint_surges_daily"}
    assert reads("Complaints: root causes") == {"complaint_root_causes_weekly", "complaint_category_pareto_weekly"}
    placed = {str(i["meta"]["uuid"]) for d in dashboards.values() for i in d["position"].values()
              if isinstance(i, dict) and i.get("type") == "CHART"}  # fmt: skip
    assert placed == set(charts), "every chart is on a dashboard"


def _columns_read(params: dict) -> set[str]:
    names = {params.get("x_axis")} | set(params.get("groupby", [])) | set(params.get("all_columns", []))
    names |= {f["subject"] for f in params.get("adhoc_filters", [])}
    names |= {yaml.safe_load(order)[0] for order in params.get("order_by_cols", [])}
    return {n for n in names if n}


def test_every_column_and_metric_the_charts_read_is_in_the_marts(files) -> None:
    marts = mart_columns()
    datasets = {str(d["uuid"]): d for d in of_kind(files, "datasets").values()}
    for path, dataset in of_kind(files, "datasets").items():
        columns = {c["column_name"]: c for c in dataset["columns"]}
        documented = marts[dataset["table_name"]]
        assert dataset["schema"] == "marts" and set(columns) <= set(documented), path  # e2e: == the snapshot's
        # The descriptions BI users read are the dbt yml's, word for word.
        assert {n: c["description"] for n, c in columns.items()} == {n: documented[n] for n in columns}, path
        for metric in dataset["metrics"]:
            used = set(re.findall(r"\b[a-z_]+\b", metric["expression"])) - {"sum", "max", "nullif"}
            assert used <= set(columns), f"{path}: metric {metric['metric_name']} reads {used - set(columns)}"
    for path, chart in of_kind(files, "charts").items():
        dataset = datasets[str(chart["dataset_uuid"])]
        params = chart["params"]
        assert _columns_read(params) <= {c["column_name"] for c in dataset["columns"]}, path
        metrics = params.get("metrics", []) + ([params["metric"]] if "metric" in params else [])
        assert set(metrics) <= {m["metric_name"] for m in dataset["metrics"]}, path


def test_superset_reads_the_snapshot_the_compose_stack_mounts(files) -> None:
    (database,) = of_kind(files, "databases").values()
    assert database["sqlalchemy_uri"] == "duckdb:////data/published/complaints_marts.duckdb?access_mode=read_only"
    assert database["allow_file_upload"] is False and database["allow_dml"] is False
