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
    from {{ ref('int_complaints_unioned') }}
    where {{ is_rebuilt('complaint_date') }}

),

versions as (

    select unioned.*
    from {{ ref('int_complaints_unioned') }} as unioned
    inner join rebuilt_complaints
        on unioned.complaint_id = rebuilt_complaints.complaint_id

),

ranked as (

    select
        *,
        row_number() over (
            partition by complaint_id, version_kind = 'snapshot'
            order by version_at desc, landed_date desc, source_file desc, source_position desc
        ) as snapshot_rank,
        row_number() over (
            partition by complaint_id, version_kind in ('snapshot', 'event')
            order by version_at desc, landed_date desc, source_file desc, source_position desc
        ) as state_rank
    from versions

),

latest_snapshots as (

    select * from ranked
    where version_kind = 'snapshot' and snapshot_rank = 1

),

latest_states as (

    select * from ranked
    where version_kind in ('snapshot', 'event') and state_rank = 1

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

events as (

    select
        versions.complaint_id,
        count(*) as version_count,
        min(versions.version_at) as first_version_at,
        min(versions.first_responded_at) as reported_first_responded_at,
        min(case when versions.status in ('resolved', 'closed') then versions.version_at end)
            as first_seen_resolved_at,
        -- Reopened: a version says so, or the customer wrote again after a resolution.
        min(
            case
                when versions.status = 'reopened' then versions.version_at
                when
                    versions.version_kind = 'customer_reply'
                    and versions.version_at > resolutions.first_resolved_at
                    then versions.version_at
            end
        ) as reopened_at,
        min(case when versions.satisfaction_score is not null then versions.version_at end) as surveyed_at
    from versions
    inner join resolutions
        on versions.complaint_id = resolutions.complaint_id
    group by 1

),

-- The latest load of each date: every row of a rebuilt date carries it (macros/incremental.sql).
date_loads as (

    {{ date_loads() }}

),

final as (

    select
        ---------- what the complaint is: its latest whole record
        latest_snapshots.complaint_id,
        latest_snapshots.source_record_id,
        latest_snapshots.customer_key,
        latest_snapshots.channel,
        latest_snapshots.record_source,
        latest_snapshots.product,
        latest_snapshots.category,
        latest_snapshots.region,
        latest_snapshots.complexity,
        latest_snapshots.language_code,
        latest_snapshots.severity,
        latest_snapshots.complaint_text,
        latest_snapshots.received_at,
        latest_snapshots.complaint_date,

        ---------- its state: the latest version that carries one
        latest_states.status,
        latest_states.escalation_level,
        latest_states.satisfaction_score,
        latest_states.compensation_amount,
        latest_states.handling_minutes,

        ---------- times from every version
        -- A resolution answers the customer too: a complaint resolved with no response recorded was first
        -- answered when it was resolved.
        coalesce(
            events.reported_first_responded_at,
            latest_states.resolved_at,
            case when latest_states.status in ('resolved', 'closed') then events.first_seen_resolved_at end
        ) as first_responded_at,
        coalesce(
            latest_states.resolved_at,
            case when latest_states.status in ('resolved', 'closed') then events.first_seen_resolved_at end
        ) as resolved_at,
        events.reopened_at,
        events.surveyed_at,
        events.version_count,
        events.first_version_at,
        latest_states.version_at,

        ---------- lineage of the latest whole record
        latest_snapshots.landed_date,
        latest_snapshots.source_file,
        latest_snapshots.source_position,

        coalesce(date_loads.loaded_at, cast('1970-01-01' as {{ dbt.type_timestamp() }})) as loaded_at

    from latest_snapshots
    inner join latest_states
        on latest_snapshots.complaint_id = latest_states.complaint_id
    inner join events
        on latest_snapshots.complaint_id = events.complaint_id
    left join date_loads
        on latest_snapshots.complaint_date = date_loads.complaint_date

)

select * from final
