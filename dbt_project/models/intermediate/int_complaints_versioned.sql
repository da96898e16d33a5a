-- One row per complaint from its versions. What the complaint is (its text, customer, product, category,
-- received time) comes from its latest whole record (a snapshot); its state (status, escalation, cost,
-- satisfaction) from its latest version that carries one (a snapshot or an event); the times of its first
-- response, resolution, reopening and survey from all of them, so they do not depend on the order in which
-- the versions landed. A complaint whose whole record has not landed yet is left out until it has.
with

-- The complaints this run rebuilds: those with a version received on a rebuilt date (a load that changed a
-- complaint records every date its versions fall on). Their events and replies carry no date of their own.
rebuilt_complaints as (

    select distinct complaint_id
    from {{ ref('stg_channels__complaints') }}
    where {{ is_rebuilt('complaint_date') }}

),

versions as (

    select unioned.*
    from {{ ref('stg_channels__complaints') }} as unioned
    inner join rebuilt_complaints
        on unioned.complaint_id = rebuilt_complaints.complaint_id

),

ranked as (

    select
        *,
        version_kind = 'snapshot' and row_number() over (
            partition by complaint_id, version_kind = 'snapshot'
            order by version_at desc, landed_date desc, source_file desc, source_position desc
        ) = 1 as is_latest_snapshot,
        version_kind in ('snapshot', 'event') and row_number() over (
            partition by complaint_id, version_kind in ('snapshot', 'event')
            order by version_at desc, landed_date desc, source_file desc, source_position desc
        ) = 1 as is_latest_state
    from versions

),

-- When each version says the complaint was resolved: the time it gives, else (a source that says resolved
-- without a time, as CFPB does) the version's own time.
resolutions as (

    select
        complaint_id,
        min(
            coalesce(resolved_at, case when status in ('resolved', 'closed') then version_at end)
        ) as first_resolved_at
    from versions
    group by 1

),

-- One pass over each complaint's versions (an aggregate, not a join of the latest ones: PostgreSQL cannot
-- estimate those and joins them row by row).
merged as (

    select
        ranked.complaint_id,

        ---------- what the complaint is: its latest whole record
        max(case when ranked.is_latest_snapshot then ranked.source_record_id end) as source_record_id,
        max(case when ranked.is_latest_snapshot then ranked.customer_key end) as customer_key,
        max(case when ranked.is_latest_snapshot then ranked.channel end) as channel,
        max(case when ranked.is_latest_snapshot then ranked.record_source end) as record_source,
        max(case when ranked.is_latest_snapshot then ranked.product end) as product,
        max(case when ranked.is_latest_snapshot then ranked.category end) as category,
        max(case when ranked.is_latest_snapshot then ranked.region end) as region,
        max(case when ranked.is_latest_snapshot then ranked.complexity end) as complexity,
        max(case when ranked.is_latest_snapshot then ranked.language_code end) as language_code,
        max(case when ranked.is_latest_snapshot then ranked.severity end) as severity,
        max(case when ranked.is_latest_snapshot then ranked.complaint_text end) as complaint_text,
        max(case when ranked.is_latest_snapshot then ranked.received_at end) as received_at,
        max(case when ranked.is_latest_snapshot then ranked.complaint_date end) as complaint_date,
        max(case when ranked.is_latest_snapshot then ranked.landed_date end) as landed_date,
        max(case when ranked.is_latest_snapshot then ranked.source_file end) as source_file,
        max(case when ranked.is_latest_snapshot then ranked.source_position end) as source_position,

        ---------- its state: the latest version that carries one
        max(case when ranked.is_latest_state then ranked.status end) as status,
        max(case when ranked.is_latest_state then ranked.escalation_level end) as escalation_level,
        max(case when ranked.is_latest_state then ranked.satisfaction_score end) as satisfaction_score,
        max(case when ranked.is_latest_state then ranked.compensation_amount end) as compensation_amount,
        max(case when ranked.is_latest_state then ranked.handling_minutes end) as handling_minutes,
        max(case when ranked.is_latest_state then ranked.resolved_at end) as current_resolved_at,
        max(case when ranked.is_latest_state then ranked.version_at end) as version_at,

        ---------- times from every version
        count(*) as version_count,
        min(ranked.version_at) as first_version_at,
        min(ranked.first_responded_at) as reported_first_responded_at,
        min(case when ranked.status in ('resolved', 'closed') then ranked.version_at end) as first_seen_resolved_at,
        -- Reopened: a version says so, or the customer wrote again after a resolution.
        min(
            case
                when ranked.status = 'reopened' then ranked.version_at
                when
                    ranked.version_kind = 'customer_reply'
                    and ranked.version_at > resolutions.first_resolved_at
                    then ranked.version_at
            end
        ) as reopened_at,
        min(case when ranked.satisfaction_score is not null then ranked.version_at end) as surveyed_at,
        count(case when ranked.is_latest_snapshot then 1 end) as snapshot_count
    from ranked
    inner join resolutions
        on ranked.complaint_id = resolutions.complaint_id
    group by 1

),

-- The latest load of each date: every row of a rebuilt date carries it (macros/rebuild_dates.sql).
date_loads as (

    select * from {{ ref('stg_pipeline__complaint_date_loads') }}

),

final as (

    select
        merged.complaint_id,
        merged.source_record_id,
        merged.customer_key,
        merged.channel,
        merged.record_source,
        merged.product,
        merged.category,
        merged.region,
        merged.complexity,
        merged.language_code,
        merged.severity,
        merged.complaint_text,
        merged.received_at,
        merged.complaint_date,
        merged.status,
        merged.escalation_level,
        merged.satisfaction_score,
        merged.compensation_amount,
        merged.handling_minutes,
        -- A resolution answers the customer too: a complaint resolved with no response recorded was first
        -- answered when it was resolved.
        coalesce(
            merged.reported_first_responded_at,
            merged.current_resolved_at,
            case when merged.status in ('resolved', 'closed') then merged.first_seen_resolved_at end
        ) as first_responded_at,
        coalesce(
            merged.current_resolved_at,
            case when merged.status in ('resolved', 'closed') then merged.first_seen_resolved_at end
        ) as resolved_at,
        merged.reopened_at,
        merged.surveyed_at,
        merged.version_count,
        merged.first_version_at,
        merged.version_at,
        merged.landed_date,
        merged.source_file,
        merged.source_position,
        coalesce(date_loads.loaded_at, cast('1970-01-01' as {{ dbt.type_timestamp() }})) as loaded_at
    from merged
    left join date_loads
        on merged.complaint_date = date_loads.complaint_date
    -- A complaint whose whole record has not landed yet waits for it.
    where merged.snapshot_count = 1

)

select * from final
