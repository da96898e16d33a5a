-- One row per complaint from its versions: the current state is the latest version; the times of its first
-- response, resolution, reopening and survey are taken from all of them, so they do not depend on the order
-- in which the versions landed.
with

-- The dates this run rebuilds: every version of a complaint received on them (a load that changed a
-- complaint records every date its versions fall on, so none is left behind).
versions as (

    select * from {{ ref('int_complaints_unioned') }}
    where {{ is_rebuilt('complaint_date') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by complaint_id
            order by version_at desc, landed_date desc, source_file desc, source_position desc
        ) as recency_rank
    from versions

),

current_versions as (

    select * from ranked
    where recency_rank = 1

),

-- The latest load of each date: every row of a rebuilt date carries it (macros/incremental.sql).
date_loads as (

    {{ date_loads() }}

),

events as (

    select
        complaint_id,
        count(*) as version_count,
        min(version_at) as first_version_at,
        max(version_loaded_at) as last_version_loaded_at,
        min(first_responded_at) as reported_first_responded_at,
        min(resolved_at) as first_resolved_at,
        -- A source that says resolved without a time (CFPB's "Closed with explanation"): resolved as of the
        -- first version that showed it.
        min(case when status in ('resolved', 'closed') then version_at end) as first_seen_resolved_at,
        min(case when status = 'reopened' then version_at end) as reopened_at,
        min(case when satisfaction_score is not null then version_at end) as surveyed_at
    from versions
    group by 1

),

final as (

    select
        ---------- the current version
        current_versions.complaint_id,
        current_versions.source_record_id,
        current_versions.customer_key,
        current_versions.channel,
        current_versions.product,
        current_versions.category,
        current_versions.region,
        current_versions.status,
        current_versions.complexity,
        current_versions.language_code,
        current_versions.severity,
        current_versions.escalation_level,
        current_versions.satisfaction_score,
        current_versions.compensation_amount,
        current_versions.handling_minutes,
        current_versions.complaint_text,
        current_versions.received_at,
        current_versions.complaint_date,

        ---------- times from every version
        -- A resolution answers the customer too: a complaint resolved with no response recorded was first
        -- answered when it was resolved.
        coalesce(
            events.reported_first_responded_at,
            current_versions.resolved_at,
            case when current_versions.status in ('resolved', 'closed') then events.first_seen_resolved_at end
        ) as first_responded_at,
        coalesce(
            current_versions.resolved_at,
            case when current_versions.status in ('resolved', 'closed') then events.first_seen_resolved_at end
        ) as resolved_at,
        events.reopened_at,
        events.surveyed_at,
        events.version_count,
        events.first_version_at,
        current_versions.version_at,

        ---------- lineage of the current version
        current_versions.landed_date,
        current_versions.source_file,
        current_versions.source_position,

        coalesce(date_loads.loaded_at, cast('1970-01-01' as {{ dbt.type_timestamp() }})) as loaded_at

    from current_versions
    inner join events
        on current_versions.complaint_id = events.complaint_id
    left join date_loads
        on current_versions.complaint_date = date_loads.complaint_date

)

select * from final
