"""Vectorised (Arrow) versions of the row parsers' field rules, for the common, clean case.

Each helper returns the converted column and a `doubt` mask: rows it cannot convert exactly as the
row parser would. A parser sends those rows through its row path, so both paths give one result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from complaints_pipeline import pii
from complaints_pipeline.reference import CHANNEL_PREFIX, CHANNEL_SOURCES
from complaints_pipeline.sources.base import CANONICAL_SCHEMA, STAGING_SCHEMA, ParseContext, language_of, sql_string

# A value the row parser would strip (any Unicode space or control character at either end), or one
# holding NUL: the row path decides what it means.
_UNSTRIPPED = r"^[\s\pZ\pC]|[\s\pZ\pC]$|\x{0}"
_CLOCK = r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
_LOCAL_TIME = rf"^\d{{4}}-\d{{2}}-\d{{2}} {_CLOCK}$"
_ISO_NAIVE = rf"^\d{{4}}-\d{{2}}-\d{{2}}T{_CLOCK}(\.\d{{3}}|\.\d{{6}})?$"
_ISO_AWARE = rf"^\d{{4}}-\d{{2}}-\d{{2}}T{_CLOCK}(\.\d{{3}}|\.\d{{6}})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
_WHOLE = r"^\d{1,9}$"
_DECIMAL = r"^-?\d{1,15}(\.\d{1,15})?$"
_CSV_SPECIAL = '[",\r\n]'


def any_of(*masks: pa.Array) -> pa.Array:
    result = masks[0]
    for mask in masks[1:]:
        result = pc.or_(result, mask)
    return pc.fill_null(result, True)


def cleaned(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """base.clean(): empty becomes null; a value with spaces to strip is doubtful."""
    doubt = pc.fill_null(pc.match_substring_regex(column, _UNSTRIPPED), False)
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column), doubt


def whole_numbers(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """base.parse_int(): '' is null; plain digits convert; anything else the row path judges."""
    empty = pc.equal(column, "")
    plain = pc.match_substring_regex(column, _WHOLE)
    values = pc.cast(pc.if_else(plain, column, pa.scalar(None, pa.string())), pa.int32())
    return values, pc.invert(pc.or_(empty, plain))


def decimals(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """base.parse_float() for plain decimals ('12', '-3.50')."""
    empty = pc.equal(column, "")
    plain = pc.match_substring_regex(column, _DECIMAL)
    values = pc.cast(pc.if_else(plain, column, pa.scalar(None, pa.string())), pa.float64())
    return values, pc.invert(pc.or_(empty, plain))


def local_times(column: pa.Array, tz: str) -> tuple[pa.Array, pa.Array]:
    """base.parse_local_time(): 'YYYY-MM-DD HH:MM:SS' wall clock in tz to naive UTC; '' is null."""
    empty = pc.equal(column, "")
    plain = pc.match_substring_regex(column, _LOCAL_TIME)
    text = pc.if_else(plain, column, pa.scalar(None, pa.string()))
    local = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    # A wall-clock time that a DST change makes ambiguous or skips raises here: the caller falls back.
    utc = pc.assume_timezone(local, tz, ambiguous="raise", nonexistent="raise")
    values = utc.cast(pa.timestamp("us", "UTC")).cast(pa.timestamp("us"))
    parsed = pc.fill_null(pc.is_valid(local), False)
    return values, pc.invert(pc.or_(empty, parsed))


def customer_keys(identities: pa.Array, key: str) -> pa.Array:
    """pii.customer_key() for a column: the same HMAC-SHA256 (RFC 2104), computed by DuckDB in C."""
    normalised = [None if v is None else v.strip().lower() or None for v in identities.to_pylist()]
    secret = key.encode()
    if len(secret) > 64:  # SHA-256's block size: a longer key is hashed first
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(64, b"\0")
    pads = {"inner": bytes(b ^ 0x36 for b in secret), "outer": bytes(b ^ 0x5C for b in secret)}
    batch = pa.table({"identity": pa.array(normalised, pa.string())})  # noqa: F841 - read by DuckDB
    with duckdb.connect() as con:
        hashed = con.sql(
            "select left(sha256($outer || unhex(sha256($inner || encode(identity)))), 32) as key from batch",
            params=pads,
        ).to_arrow_table()
    return hashed.column("key").combine_chunks()


def texts(
    column: pa.Array, known: list[pa.Array] = (), keep_handles: tuple[str, ...] = ()
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(masked text, language, doubt) as base.canonical_row() makes them: text holding markup is
    doubtful (html_to_text decides); text that may hold personal data (pii.MAY_NEED_MASKING, or one of
    the row's own identities in the known columns) is masked by pii.mask_text()."""
    doubt = pc.fill_null(pc.match_substring_regex(column, "[<&]"), False)
    contact = pc.fill_null(pc.match_substring_regex(column, pii.MAY_NEED_MASKING), False).to_pylist()
    values = column.to_pylist()
    identities = [identity.to_pylist() for identity in known]
    for index, value in enumerate(values):
        if value is None:
            continue
        own = [ids[index] for ids in identities if ids[index]]
        if contact[index] or pii.mentions(value, own):
            values[index] = pii.mask_text(value, own, keep_handles)
    languages: dict[str | None, str] = {}  # a batch's repeated texts are identified once
    for value in values:
        if value not in languages:
            languages[value] = language_of(value)
    return pa.array(values, pa.string()), pa.array([languages[v] for v in values], pa.string()), doubt


def typed(column: pa.Array, canonical: str, tz: str) -> tuple[pa.Array, pa.Array]:
    """A text column converted to the type of a canonical column (local times in tz), and the rows in doubt."""
    kind = CANONICAL_SCHEMA.field(canonical).type
    if pa.types.is_timestamp(kind):
        return local_times(column, tz)
    if pa.types.is_integer(kind):
        return whole_numbers(column)
    if pa.types.is_floating(kind):
        return decimals(column)
    return cleaned(column)


def json_object(key: str, column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """json.dumps({key: value}) for plain values (nothing to escape); null becomes JSON null."""
    doubt = pc.match_substring_regex(column, r'["\\\pC]')
    quoted = pc.binary_join_element_wise(f'{{"{key}": "', column, '"}', "")
    return pc.if_else(pc.is_null(column), f'{{"{key}": null}}', quoted), doubt


def landed_objects(fields: dict[str, pa.Array]) -> pa.Array:
    """base.landed_object() for each row: the texts as one JSON object (null stays null), by DuckDB."""
    names = list(fields)
    batch = pa.table({f"f{i}": fields[name] for i, name in enumerate(names)})  # noqa: F841 - read by DuckDB
    pairs = ", ".join(f"{sql_string(name)}, f{i}" for i, name in enumerate(names))
    with duckdb.connect() as con:
        return (
            con.sql(f"select json_object({pairs})::varchar as landed from batch")
            .to_arrow_table()["landed"]
            .combine_chunks()
        )


# DuckDB's JSON types by the names base.json_type() gives them.
_JSON_TYPE_NAMES = {
    "VARCHAR": "string",
    "BIGINT": "integer",
    "UBIGINT": "integer",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "ARRAY": "array",
    "OBJECT": "object",
}


def json_landed(fields: dict, constants: dict[str, str], texts_: dict[str, str], types: dict[str, str]) -> pa.Array:
    """base.landed_object() for JSON lines, from json_fields()' (type, text) pairs: the constants, for
    each name in texts_ the JSON text at its path (base.json_text()), for each name in types the JSON
    type there (base.json_type()); null when absent or null."""
    columns, pairs = {}, [f"{sql_string(n)}, {sql_string(v)}" for n, v in constants.items()]
    type_names = " ".join(f"when {sql_string(k)} then {sql_string(v)}" for k, v in _JSON_TYPE_NAMES.items())
    for index, (name, path) in enumerate(texts_.items()):
        columns[f"t{index}"], columns[f"x{index}"] = fields[path]
        json_text = (
            f"case t{index} when 'NULL' then null when 'VARCHAR' then to_json(x{index})::varchar else x{index} end"
        )
        pairs.append(f"{sql_string(name)}, {json_text}")
    for index, (name, path) in enumerate(types.items()):
        columns[f"type{index}"] = fields[path][0]
        pairs.append(f"{sql_string(name)}, case type{index} {type_names} end")
    batch = pa.table(columns)  # noqa: F841 - read by DuckDB
    with duckdb.connect() as con:
        sql = f"select json_object({', '.join(pairs)})::varchar as landed from batch"
        return con.sql(sql).to_arrow_table()["landed"].combine_chunks()


def csv_lines(columns: list[pa.Array]) -> pa.Array:
    """base.csv_line() for each row: cells joined by commas, quoted where the csv module quotes."""
    quoted = []
    for column in columns:
        special = pc.match_substring_regex(column, _CSV_SPECIAL)
        if pc.any(special).as_py():
            escaped = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
            column = pc.if_else(special, escaped, column)
        quoted.append(column)
    return pc.binary_join_element_wise(*quoted, ",")


def _cast_or_null(column: pa.Array, to: pa.DataType) -> pa.Array:
    """Cast; a value that matched the pattern yet is no real date (2026-02-30) becomes null."""
    try:
        return pc.cast(column, to)
    except pa.ArrowInvalid:
        return pa.array([_cast_one(value, to) for value in column.to_pylist()], to)


def _cast_one(value: str | None, to: pa.DataType) -> object:
    try:
        return pc.cast(pa.array([value], pa.string()), to)[0].as_py()
    except pa.ArrowInvalid:
        return None


# json_type() names, as DuckDB's JSON extension reports them.
_JSON_INTEGER = ("BIGINT", "UBIGINT")
_JSON_NUMBER = ("BIGINT", "UBIGINT", "DOUBLE")


def absent(types: pa.Array) -> pa.Array:
    """A JSON field that is missing or null: Python's dict.get() gives None for both."""
    return pc.fill_null(pc.equal(types, "NULL"), True)


def json_typed(types: pa.Array, texts_: pa.Array, allowed: tuple[str, ...]) -> tuple[pa.Array, pa.Array]:
    """(text where the JSON type is allowed else null, doubt: present but of another type)."""
    ok = pc.fill_null(pc.is_in(types, pa.array(allowed)), False)
    return pc.if_else(ok, texts_, pa.scalar(None, pa.string())), pc.invert(pc.or_(ok, absent(types)))


def json_strings(types: pa.Array, texts_: pa.Array) -> tuple[pa.Array, pa.Array]:
    """base.clean() of a JSON field: strings and nulls convert; a number or object is the row path's."""
    column, wrong_type = json_typed(types, texts_, ("VARCHAR",))
    column, unstripped = cleaned(column)
    return column, pc.or_(wrong_type, unstripped)


def json_ints(types: pa.Array, texts_: pa.Array) -> tuple[pa.Array, pa.Array]:
    """base.parse_int() of a JSON field: integers (not booleans, not 3.0) that fit 32 bits, and nulls."""
    column, doubt = json_typed(types, texts_, _JSON_INTEGER)
    fits = pc.fill_null(pc.match_substring_regex(column, r"^-?\d{1,9}$"), True)
    column = pc.cast(pc.if_else(fits, column, pa.scalar(None, pa.string())), pa.int32())
    return column, pc.or_(doubt, pc.invert(fits))


def json_numbers(types: pa.Array, texts_: pa.Array) -> tuple[pa.Array, pa.Array]:
    """base.parse_float() of a JSON field: any JSON number (not a boolean), and nulls."""
    column, doubt = json_typed(types, texts_, _JSON_NUMBER)
    return pc.cast(column, pa.float64()), doubt


def iso_times(types: pa.Array, texts_: pa.Array) -> tuple[pa.Array, pa.Array]:
    """base.parse_iso_time() of a JSON field: ISO 8601 with an offset to naive UTC, without one as is."""
    column, wrong_type = json_typed(types, texts_, ("VARCHAR",))
    empty = pc.fill_null(pc.equal(column, ""), True)
    none = pa.scalar(None, pa.string())
    aware = pc.fill_null(pc.match_substring_regex(column, _ISO_AWARE), False)
    naive = pc.fill_null(pc.match_substring_regex(column, _ISO_NAIVE), False)
    utc = _cast_or_null(pc.if_else(aware, column, none), pa.timestamp("us", "UTC")).cast(pa.timestamp("us"))
    values = pc.coalesce(utc, _cast_or_null(pc.if_else(naive, column, none), pa.timestamp("us")))
    unparsed = pc.and_(pc.invert(empty), pc.invert(pc.is_valid(values)))
    return values, pc.or_(wrong_type, unparsed)


def json_fields(lines: pa.Array, paths: list[str], objects: list[str], keyed: list[str]) -> dict[str, pa.Array]:
    """DuckDB's JSON functions (C, both cores) over JSON lines: for each path its JSON type and text
    (as a pair), each of `objects` as JSON text ('json <path>'), and 'doubt' for lines Python's json
    module might read otherwise: invalid JSON or not an object, a key given twice in the line or in an
    object of `keyed` (json takes the last, DuckDB the first), escapes of NUL or of lone surrogates."""
    batch = pa.table({"line": lines})  # noqa: F841 - read by DuckDB
    extracts = "".join(
        f", case when valid then json_extract(line, '{path}') end as \"json {path}\"" for path in objects
    )
    repeated = " or ".join(
        f"len(list_distinct(json_keys(line, '{path}'))) <> len(json_keys(line, '{path}'))" for path in ["$", *keyed]
    )
    with duckdb.connect() as con:
        table = con.sql(
            f"""with checked as (select line, json_valid(line) as valid from batch)
                select case when valid then json_type(line) = 'OBJECT' and not ({repeated}) else false end as ok,
                       case when valid then json_type(line, $paths) end as types,
                       case when valid then json_extract_string(line, $paths) end as texts
                       {extracts}
                from checked""",
            params={"paths": paths},
        ).to_arrow_table()
    fields = {name: table.column(name).combine_chunks() for name in table.column_names}
    for index, path in enumerate(paths):
        fields[path] = (pc.list_element(fields["types"], index), pc.list_element(fields["texts"], index))
    escapes = pc.match_substring_regex(lines, r"\\u(0000|[dD][89a-fA-F])")
    fields["doubt"] = any_of(pc.invert(pc.fill_null(fields["ok"], False)), escapes)
    return fields


def interleave(table: pa.Table, doubtful: pa.Array, row_path: Callable[[int], object]) -> Iterator[object]:
    """The table's rows in order, as slices, except each doubtful row, which row_path(index) gives
    instead (a row, a Reject, or None for nothing)."""
    start = 0
    for index in pc.indices_nonzero(doubtful).to_pylist():
        if index > start:
            yield table.slice(start, index - start)
        item = row_path(index)
        if item is not None:
            yield item
        start = index + 1
    if start < table.num_rows:
        yield table.slice(start)


def canonical_table(ctx: ParseContext, source_file: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A staging table from converted columns; constant and derived columns filled in as canonical_row does."""
    length = len(columns["source_record_id"])
    prefix = CHANNEL_PREFIX.get(ctx.channel, "XX")
    filled = {
        "complaint_id": pc.binary_join_element_wise(f"{prefix}-", columns["source_record_id"], ""),
        "channel": pa.array([ctx.channel] * length, pa.string()),
        "source_file": pa.array([source_file] * length, pa.string()),
        "partition_date": pa.array([ctx.partition_date] * length, pa.date32()),
        "version_at": pa.array([ctx.export_at] * length, pa.timestamp("us")),
        "record_source": pa.array([CHANNEL_SOURCES.get(ctx.channel)] * length, pa.string()),
        "version_kind": pa.array(["snapshot"] * length, pa.string()),
        **columns,
    }
    if "received_at" in columns:  # no update time of its own: as base.version_time, column by column
        export_at = pa.scalar(ctx.export_at, pa.timestamp("us"))
        received = pc.cast(columns["received_at"], pa.timestamp("us"))
        default = pc.if_else(pc.fill_null(pc.greater(received, export_at), False), received, export_at)
        own = columns.get("version_at")
        filled["version_at"] = default if own is None else pc.coalesce(pc.cast(own, pa.timestamp("us")), default)
    arrays = []
    for field in STAGING_SCHEMA:
        value = filled.get(field.name)
        arrays.append(pa.nulls(length, field.type) if value is None else pc.cast(value, field.type))
    return pa.Table.from_arrays(arrays, schema=STAGING_SCHEMA)
