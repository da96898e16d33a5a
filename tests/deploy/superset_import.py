"""Superset 6.1.0's import format (a v1 bundle: metadata, databases, datasets, charts, dashboards), as marshmallow
schemas, and the checks its import code makes beyond them, so the bundle in deploy/superset/dashboards is
validated here, where no Superset runs.

Mirrors, field by field, `MetadataSchema` (superset/commands/importers/v1/utils.py), `ImportV1DatabaseSchema`
(superset/databases/schemas.py), `ImportV1DatasetSchema` with its column and metric schemas
(superset/datasets/schemas.py), `ImportV1ChartSchema` (superset/charts/schemas.py) and `ImportV1DashboardSchema`
(superset/dashboards/schemas.py), as the apache-superset 6.1.0 wheel on PyPI ships them. Like Superset's, every
schema rejects a key it does not know. Where the import code fails on something the schemas let through (a
database without `extra`, a chart of a dashboard without `meta.uuid`), `bundle_errors` says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate

VERSION = "1.0.0"


class Metadata(Schema):
    version = fields.String(required=True, validate=validate.Equal(VERSION))
    type = fields.String(validate=validate.Equal("Dashboard"))
    timestamp = fields.DateTime()


class DatabaseExtra(Schema):
    metadata_params = fields.Dict(keys=fields.Str(), values=fields.Raw())
    engine_params = fields.Dict(keys=fields.Str(), values=fields.Raw())
    metadata_cache_timeout = fields.Dict(keys=fields.Str(), values=fields.Integer())
    schemas_allowed_for_csv_upload = fields.List(fields.String())
    schemas_allowed_for_file_upload = fields.List(fields.String())  # renamed to the csv one by a pre_load
    cost_estimate_enabled = fields.Boolean()
    allows_virtual_table_explore = fields.Boolean()
    cancel_query_on_windows_unload = fields.Boolean()
    disable_data_preview = fields.Boolean()
    disable_drill_to_detail = fields.Boolean()
    allow_multi_catalog = fields.Boolean()
    per_user_caching = fields.Boolean()
    version = fields.String(allow_none=True)
    schema_options = fields.Dict(keys=fields.Str(), values=fields.Raw())


class Database(Schema):
    database_name = fields.String(required=True)
    sqlalchemy_uri = fields.String(required=True)
    password = fields.String(allow_none=True)
    encrypted_extra = fields.String(allow_none=True)
    masked_encrypted_extra = fields.String()
    cache_timeout = fields.Integer(allow_none=True)
    expose_in_sqllab = fields.Boolean()
    allow_run_async = fields.Boolean()
    allow_ctas = fields.Boolean()
    allow_cvas = fields.Boolean()
    allow_dml = fields.Boolean()
    allow_csv_upload = fields.Boolean()
    allow_file_upload = fields.Boolean()  # renamed to allow_csv_upload by a pre_load
    impersonate_user = fields.Boolean()
    extra = fields.Nested(DatabaseExtra)
    uuid = fields.UUID(required=True)
    version = fields.String(required=True)
    is_managed_externally = fields.Boolean(allow_none=True)
    external_url = fields.String(allow_none=True)
    configuration_method = fields.String(allow_none=True, validate=validate.OneOf(["sqlalchemy_form", "dynamic_form"]))


class Column(Schema):
    column_name = fields.String(required=True)
    extra = fields.Dict(allow_none=True)
    verbose_name = fields.String(allow_none=True)
    is_dttm = fields.Boolean(allow_none=True)
    is_active = fields.Boolean(allow_none=True)
    type = fields.String(allow_none=True)
    advanced_data_type = fields.String(allow_none=True)
    groupby = fields.Boolean()
    filterable = fields.Boolean()
    expression = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    python_date_format = fields.String(allow_none=True)
    datetime_format = fields.String(allow_none=True)


class Metric(Schema):
    metric_name = fields.String(required=True)
    verbose_name = fields.String(allow_none=True)
    metric_type = fields.String(allow_none=True)
    expression = fields.String(required=True)
    description = fields.String(allow_none=True)
    d3format = fields.String(allow_none=True)
    currency = fields.Dict(allow_none=True)
    extra = fields.Dict(allow_none=True)
    warning_text = fields.String(allow_none=True)


class Dataset(Schema):
    table_name = fields.String(required=True)
    main_dttm_col = fields.String(allow_none=True)
    currency_code_column = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    default_endpoint = fields.String(allow_none=True)
    offset = fields.Integer()
    cache_timeout = fields.Integer(allow_none=True)
    schema = fields.String(allow_none=True)
    catalog = fields.String(allow_none=True)
    sql = fields.String(allow_none=True)
    source_db_engine = fields.String(allow_none=True)
    params = fields.Dict(allow_none=True)
    template_params = fields.Dict(allow_none=True)
    filter_select_enabled = fields.Boolean()
    fetch_values_predicate = fields.String(allow_none=True)
    extra = fields.Dict(allow_none=True)
    uuid = fields.UUID(required=True)
    columns = fields.List(fields.Nested(Column))
    metrics = fields.List(fields.Nested(Metric))
    version = fields.String(required=True)
    database_uuid = fields.UUID(required=True)
    data = fields.URL()
    is_managed_externally = fields.Boolean(allow_none=True)
    external_url = fields.String(allow_none=True)
    normalize_columns = fields.Boolean()
    always_filter_main_dttm = fields.Boolean()
    folders = fields.List(fields.Dict(), allow_none=True)
    data_file = fields.String(allow_none=True)


def _json_text(value: str | None) -> None:
    if value:
        try:
            json.loads(value)
        except ValueError as error:
            raise ValidationError("JSON not valid") from error


class Chart(Schema):
    slice_name = fields.String(required=True)
    description = fields.String(allow_none=True)
    certified_by = fields.String(allow_none=True)
    certification_details = fields.String(allow_none=True)
    viz_type = fields.String(required=True)
    params = fields.Dict()
    query_context = fields.String(allow_none=True, validate=_json_text)
    cache_timeout = fields.Integer(allow_none=True)
    uuid = fields.UUID(required=True)
    version = fields.String(required=True)
    dataset_uuid = fields.UUID(required=True)
    is_managed_externally = fields.Boolean(allow_none=True)
    external_url = fields.String(allow_none=True)
    tags = fields.List(fields.String(), allow_none=True)


class Dashboard(Schema):
    dashboard_title = fields.String(required=True)
    description = fields.String(allow_none=True)
    css = fields.String(allow_none=True)
    slug = fields.String(allow_none=True)
    uuid = fields.UUID(required=True)
    position = fields.Dict()
    metadata = fields.Dict()
    version = fields.String(required=True)
    is_managed_externally = fields.Boolean(allow_none=True)
    external_url = fields.String(allow_none=True)
    certified_by = fields.String(allow_none=True)
    certification_details = fields.String(allow_none=True)
    published = fields.Boolean(allow_none=True)
    tags = fields.List(fields.String(), allow_none=True)
    theme_uuid = fields.UUID(allow_none=True)
    theme_id = fields.Integer(allow_none=True)


# The folder a file is in picks its schema, as in Superset's import (load_configs); file names do not matter.
SCHEMAS = {"databases": Database, "datasets": Dataset, "charts": Chart, "dashboards": Dashboard}


def load(bundle: Path) -> dict[str, dict]:
    """Every YAML file of the bundle, by its path in the bundle."""
    return {
        p.relative_to(bundle).as_posix(): yaml.safe_load(p.read_text(encoding="utf-8")) for p in bundle.rglob("*.y*ml")
    }


def bundle_errors(files: dict[str, dict]) -> list[str]:
    """What Superset's import would refuse or fail on, one line each: schema errors, then broken links."""
    errors = []
    metadata = files.get("metadata.yaml")
    if metadata is None:
        return ["metadata.yaml is missing"]
    if not isinstance(metadata.get("timestamp"), str):  # Superset's marshmallow 3 reads only a text timestamp
        errors.append("metadata.yaml: timestamp must be quoted text")
    errors += [
        f"metadata.yaml: {e}" for e in _validate(Metadata, {**metadata, "timestamp": str(metadata.get("timestamp"))})
    ]
    for path, content in files.items():
        schema = SCHEMAS.get(path.split("/")[0])
        if schema is None and path != "metadata.yaml":
            errors.append(f"{path}: not in a folder Superset imports from")
        elif schema is not None:
            errors += [f"{path}: {e}" for e in _validate(schema, content)]
    errors += _links(files)
    return errors


def _validate(schema: type[Schema], content: dict) -> list[str]:
    try:
        schema().load(content)
    except ValidationError as error:
        return [json.dumps(error.messages, default=str)]
    return []


def of_kind(files: dict[str, dict], kind: str) -> dict[str, dict]:
    return {path: content for path, content in files.items() if path.startswith(f"{kind}/")}


def _links(files: dict[str, dict]) -> list[str]:
    errors = []
    databases = {str(d["uuid"]) for d in of_kind(files, "databases").values()}
    datasets = {str(d["uuid"]) for d in of_kind(files, "datasets").values()}
    charts = {str(c["uuid"]) for c in of_kind(files, "charts").values()}
    for path, database in of_kind(files, "databases").items():
        if not isinstance(database.get("extra"), dict):  # import_database json.dumps(config["extra"])
            errors.append(f"{path}: extra must be a mapping (the import fails without one)")
    for path, dataset in of_kind(files, "datasets").items():
        if str(dataset["database_uuid"]) not in databases:
            errors.append(f"{path}: database {dataset['database_uuid']} is not in the bundle")
        if "schema" not in dataset or dataset["schema"] is None:  # the examples' default schema would be taken
            errors.append(f"{path}: schema must be given")
    for path, chart in of_kind(files, "charts").items():
        if str(chart["dataset_uuid"]) not in datasets:
            errors.append(f"{path}: dataset {chart['dataset_uuid']} is not in the bundle")
        if not isinstance(chart.get("params"), dict):
            errors.append(f"{path}: params must be a mapping")
    for path, dashboard in of_kind(files, "dashboards").items():
        items = [item for item in dashboard.get("position", {}).values() if isinstance(item, dict)]
        ids = []
        for item in items:
            if "type" not in item:
                errors.append(f"{path}: position item {item.get('id')} has no type")
            elif item["type"] == "CHART":
                meta = item.get("meta", {})
                if "uuid" not in meta or "chartId" not in meta:
                    errors.append(f"{path}: chart {item.get('id')} needs meta.uuid and meta.chartId")
                elif str(meta["uuid"]) not in charts:
                    errors.append(f"{path}: chart {meta['uuid']} is not in the bundle")
                ids.append(meta.get("chartId"))
        if len(ids) != len(set(ids)):
            errors.append(f"{path}: chartId repeated in position")
        for native in dashboard.get("metadata", {}).get("native_filter_configuration", []):
            for target in native.get("targets", []):
                if "datasetUuid" in target and str(target["datasetUuid"]) not in datasets:
                    errors.append(
                        f"{path}: filter {native['id']} reads dataset {target['datasetUuid']}, not in the bundle"
                    )
            for excluded in native.get("scope", {}).get("excluded", []):
                if excluded not in ids:
                    errors.append(f"{path}: filter {native['id']} excludes chart {excluded}, not on the dashboard")
    return errors
