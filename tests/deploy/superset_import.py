"""Superset 6.1.0's import format (a v1 bundle: metadata, databases, datasets, charts, dashboards), as marshmallow
schemas, and the checks its import code makes beyond them, so the bundle in deploy/superset/dashboards is
validated here, where no Superset runs.

The schemas are data, field by field (superset_import_schemas.yaml, which names the Superset files they
mirror); like Superset's, every schema rejects a key it does not know. Where the import code fails on something
the schemas let through (a database without `extra`, a chart of a dashboard without `meta.uuid`),
`bundle_errors` says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate

VERSION = "1.0.0"
# What the type names alone do not say: the checks some fields carry (validators in Superset's schemas).
VALIDATORS = {
    ("Metadata", "version"): validate.Equal(VERSION),
    ("Metadata", "type"): validate.Equal("Dashboard"),
    ("Database", "configuration_method"): validate.OneOf(["sqlalchemy_form", "dynamic_form"]),
    ("Chart", "query_context"): lambda text: _json_text(text),
}


def _json_text(value: str | None) -> None:
    if value:
        try:
            json.loads(value)
        except ValueError as error:
            raise ValidationError("JSON not valid") from error


def _schemas() -> dict[str, type[Schema]]:
    """The schemas of superset_import_schemas.yaml, as marshmallow classes (nested ones first, as listed)."""
    specs = yaml.safe_load(Path(__file__).with_name("superset_import_schemas.yaml").read_text(encoding="utf-8"))
    built: dict[str, type[Schema]] = {}

    def field(schema: str, name: str, text: str) -> fields.Field:
        kind = text.rstrip("!?")
        options = {"required": "!" in text, "allow_none": "?" in text}
        if (schema, name) in VALIDATORS:
            options["validate"] = VALIDATORS[schema, name]
        outer, _, inner = kind.partition("[")
        inner = inner.rstrip("]")
        if outer == "Nested":
            return fields.Nested(built[inner], **options)
        if outer == "List":
            return fields.List(fields.Nested(built[inner]) if inner in built else getattr(fields, inner)(), **options)
        if outer == "Dict" and inner:
            return fields.Dict(keys=fields.String(), values=getattr(fields, inner)(), **options)
        return getattr(fields, outer)(**options)

    for schema, declared in specs.items():
        built[schema] = Schema.from_dict({n: field(schema, n, t) for n, t in declared.items()}, name=schema)
    return built


_BUILT = _schemas()
# The folder a file is in picks its schema, as in Superset's import (load_configs); file names do not matter.
SCHEMAS = {
    "databases": _BUILT["Database"],
    "datasets": _BUILT["Dataset"],
    "charts": _BUILT["Chart"],
    "dashboards": _BUILT["Dashboard"],
}
Metadata = _BUILT["Metadata"]


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
