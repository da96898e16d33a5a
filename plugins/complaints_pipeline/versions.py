"""The duplicate and version rules: which landed records of a channel's date are new versions of a complaint,
which repeat what is loaded, and which cannot be told apart. Expressed as SQL both warehouses run.

A complaint is a sequence of versions, each describing it at its `version_at`. A record loads as a new
version unless:
- it names a complaint id loaded for another channel or customer: quarantined (`duplicate_id`);
- its content is identical to a version of the same complaint loaded for another date, or to an earlier
  record of this date: skipped (`duplicate_version`), naming the copy that stands. Of identical copies the
  oldest stands: an older copy landing after a newer one loads, and the newer one moves to the skipped
  records of its date. So the order in which exports land does not change when a state was first known;
- it has the version time of another version of the complaint but other content: both cannot be the
  complaint at that moment, so it is quarantined (`conflicting_version`).
A record older than the newest loaded version is loaded as history (it never becomes the current state):
that keeps the marts the same whatever order the versions land in.
"""

from __future__ import annotations

from complaints_pipeline.sources.base import CANONICAL_COLUMNS

# Columns that say where and when a record landed, not what it says of the complaint.
LINEAGE_COLUMNS = ("source_file", "source_position", "partition_date", "version_at")
CONTENT_COLUMNS = tuple(c for c in CANONICAL_COLUMNS if c not in LINEAGE_COLUMNS)

# What a judged record becomes.
NEW = "new"
OLDER_COPY = "older_copy"  # new, and displaces a later loaded copy of the same content
OTHER_OWNER = "other_owner"
LOADED_COPY = "loaded_copy"
STAGED_COPY = "staged_copy"
CONFLICT = "conflict"
QUARANTINED = (OTHER_OWNER, CONFLICT)
SKIPPED = (LOADED_COPY, STAGED_COPY)


def content_hash(alias: str) -> str:
    """An expression: the md5 of a record's content columns (null kept apart from any text)."""
    parts = " || '|' || ".join(f"coalesce(cast({alias}.{c} as varchar), '<null>')" for c in CONTENT_COLUMNS)
    return f"md5({parts})"


# The order in which copies of one content are taken: the oldest first, then file order.
_FIRST = "version_at, source_file, length(source_position), source_position"


def judge_sql(table: str) -> str:
    """A query over temp table `staged` (canonical columns and content_hash) and the raw versions table:
    each staged record with its verdict and what the reason names (a partition date and file)."""
    return f"""
    with

    ids as (
        select distinct complaint_id from staged
    ),

    known as (
        select loaded.*
        from {table} as loaded
        inner join ids on loaded.complaint_id = ids.complaint_id
    ),

    owners as (
        select complaint_id, min(channel) as channel, max(customer_key) as customer_key,
               min(cast(partition_date as varchar) || ' from ' || source_file) as loaded_from
        from known
        group by complaint_id
    ),

    copies as (
        select complaint_id, content_hash, min(version_at) as version_at,
               min(cast(partition_date as varchar) || ' from ' || source_file) as loaded_from
        from known
        group by complaint_id, content_hash
    ),

    moments as (
        select complaint_id, version_at, min(cast(partition_date as varchar) || ' from ' || source_file) as loaded_from
        from known
        group by complaint_id, version_at
    ),

    windowed as (
        select
            staged.*,
            row_number() over (partition by complaint_id, content_hash order by {_FIRST}) as copy_number,
            first_value(source_file || ' at ' || source_position)
                over (partition by complaint_id, content_hash order by {_FIRST}) as first_copy,
            min(content_hash) over (partition by complaint_id, version_at) as min_hash_at_moment,
            max(content_hash) over (partition by complaint_id, version_at) as max_hash_at_moment,
            min(channel) over (partition by complaint_id) as min_channel,
            max(channel) over (partition by complaint_id) as max_channel,
            min(customer_key) over (partition by complaint_id) as min_customer,
            max(customer_key) over (partition by complaint_id) as max_customer
        from staged
    )

    select
        windowed.*,
        owners.complaint_id is not null as has_loaded_version,
        case
            when owners.channel != windowed.channel
                or owners.customer_key != windowed.customer_key
                or windowed.min_channel != windowed.max_channel
                or windowed.min_customer != windowed.max_customer then '{OTHER_OWNER}'
            when copies.complaint_id is not null and windowed.copy_number = 1
                and windowed.version_at < copies.version_at then '{OLDER_COPY}'
            when copies.complaint_id is not null then '{LOADED_COPY}'
            when windowed.copy_number > 1 then '{STAGED_COPY}'
            when moments.complaint_id is not null
                or windowed.min_hash_at_moment != windowed.max_hash_at_moment then '{CONFLICT}'
            else '{NEW}'
        end as verdict,
        case
            when owners.channel != windowed.channel or owners.customer_key != windowed.customer_key
                then 'duplicate complaint id ' || windowed.complaint_id
                    || ': already loaded for another ' || case when owners.channel != windowed.channel
                        then 'channel (' || owners.channel || ')' else 'customer' end
                    || ', ' || owners.loaded_from
            when windowed.min_channel != windowed.max_channel or windowed.min_customer != windowed.max_customer
                then 'duplicate complaint id ' || windowed.complaint_id
                    || ': this date''s files give it more than one channel or customer'
            when copies.complaint_id is not null and windowed.copy_number = 1
                and windowed.version_at < copies.version_at then null
            when copies.complaint_id is not null
                then 'the same version of ' || windowed.complaint_id || ' as the one already loaded for '
                    || copies.loaded_from
            when windowed.copy_number > 1
                then 'the same version of ' || windowed.complaint_id || ' as ' || windowed.first_copy
            when moments.complaint_id is not null
                then 'complaint ' || windowed.complaint_id || ' already has another version at '
                    || cast(windowed.version_at as varchar) || ', loaded for ' || moments.loaded_from
                    || ': which one it was then cannot be told'
            when windowed.min_hash_at_moment != windowed.max_hash_at_moment
                then 'complaint ' || windowed.complaint_id || ' appears more than once at '
                    || cast(windowed.version_at as varchar)
                    || ' in this date''s files, with different content: which one it was then cannot be told'
        end as verdict_reason
    from windowed
    left join owners on windowed.complaint_id = owners.complaint_id
    left join copies
        on windowed.complaint_id = copies.complaint_id and windowed.content_hash = copies.content_hash
    left join moments
        on windowed.complaint_id = moments.complaint_id and windowed.version_at = moments.version_at
    """
