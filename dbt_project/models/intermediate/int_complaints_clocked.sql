-- Complaints with their service-level clocks: calendar and working hours, the standard each is held to,
-- its deadlines, and whether it met them as far as the channel's export shows. Incremental by complaint
-- (macros/clock_rebuild.sql): the complaints of the changed dates, and those whose clocks still run.
{%- set timestamp = dbt.type_timestamp() %}
{%- set described_at -%}
    greatest(
        received_at,
        coalesce(version_at, received_at),
        coalesce(first_responded_at, received_at),
        coalesce(resolved_at, received_at)
    )
{%- endset %}
with

complaints as (

    select * from {{ ref('int_complaints_categorised') }}
    where {{ is_rebuilt_by_clock() }}

),

standards as (

    select * from {{ ref('service_level_standards') }}

),

dates as (

    select * from {{ ref('dates') }}

),

-- What was known of each channel: up to the end of the latest landing day whose export of it loaded
-- (records came in, the day gate let them through).
channel_knowledge as (

    select
        channel,
        max(complaint_date) as known_date
    from {{ ref('stg_pipeline__channel_days') }}
    where records_in_count > 0 and not is_blocked
    group by 1

),

-- What was known of a date's complaints whose clocks still run: the end of their channel's latest loaded
-- export, or the latest time their date's versions describe if later; but no more than clock_days after the
-- date, when every deadline has passed and the clocks stop (so the snapshot of an old date never changes
-- again). An unanswered or unresolved complaint is late once its deadline is before the snapshot: late today,
-- not "not yet due" until some version of its date happens to arrive.
{%- set known_until = dbt.dateadd('day', 1, 'cast(channel_knowledge.known_date as ' ~ timestamp ~ ')') %}
{%- set date_at = 'cast({}.complaint_date as ' ~ timestamp ~ ')' %}
{%- set clocks_stop = dbt.dateadd('day', var('clock_days'), date_at.format('described')) %}
{%- set own_clocks_stop = dbt.dateadd('day', var('clock_days'), date_at.format('complaints')) %}
snapshots as (

    select
        described.channel,
        described.complaint_date,
        least(
            greatest(
                described.described_at,
                coalesce({{ to_utc(known_until) }}, described.described_at)
            ),
            {{ to_utc(clocks_stop) }}
        ) as snapshot_at
    from (
        select
            channel,
            complaint_date,
            max({{ described_at }}) as described_at
        -- every complaint of the dates, those whose clocks stopped too
        from {{ ref('int_complaints_categorised') }}
        where {{ is_rebuilt('complaint_date', preceding_days=var('clock_days')) }}
        group by 1, 2
    ) as described
    left join channel_knowledge
        on described.channel = channel_knowledge.channel

),

-- Each complaint as of its snapshot. One whose clocks stopped (answered and resolved, or on a channel that tracks
-- no handling) is as of its own latest time, no later than its clocks stop: a later export changes nothing of it,
-- so it is rebuilt only with its date.
snapshotted as (

    select
        complaints.*,
        case
            when {{ is_clock_running('complaints') }} then snapshots.snapshot_at
            else
                least(
                    {{ described_at | indent(20) }},
                    {{ to_utc(own_clocks_stop) }}
                )
        end as snapshot_at
    from complaints
    left join snapshots
        on complaints.channel = snapshots.channel and complaints.complaint_date = snapshots.complaint_date

),

localised as (

    select
        snapshotted.*,
        -- Complaints nobody graded (email, social) are held to the general, non-urgent standard.
        standards.first_response_hours as first_response_standard_hours,
        standards.first_response_clock,
        standards.resolution_working_days as resolution_standard_working_days,
        -- A case status means the channel tracks handling (phone, web); email and social do not.
        snapshotted.status is not null as is_handling_tracked,
        {{ to_local('snapshotted.received_at') }} as received_local_at,
        {{ to_local('snapshotted.first_responded_at') }} as first_responded_local_at,
        {{ to_local('snapshotted.resolved_at') }} as resolved_local_at,
        {{ to_local('snapshotted.snapshot_at') }} as snapshot_local_at
    from snapshotted
    left join standards
        on
            coalesce(snapshotted.severity, 3) = standards.severity
            and coalesce(snapshotted.complexity, 'general') = standards.complexity

),

clocked as (

    select
        localised.*,

        ---------- calendar hours
        {{ hours_between('localised.received_at', 'localised.first_responded_at') }} as first_response_hours,
        {{ hours_between('localised.received_at', 'localised.resolved_at') }} as resolution_hours,
        {{ hours_between('localised.received_at', 'localised.snapshot_at') }} as snapshot_hours,

        ---------- working hours (seed working_schedule, public holidays off)
        cast(
            {{ working_clock('localised.first_responded_local_at', 'responded_day') }}
            - {{ working_clock('localised.received_local_at', 'received_day') }}
            as double precision
        ) / 3600 as first_response_working_hours,
        cast(
            {{ working_clock('localised.resolved_local_at', 'resolved_day') }}
            - {{ working_clock('localised.received_local_at', 'received_day') }}
            as double precision
        ) / 3600 as resolution_working_hours,
        cast(
            {{ working_clock('localised.snapshot_local_at', 'snapshot_day') }}
            - {{ working_clock('localised.received_local_at', 'received_day') }}
            as double precision
        ) / 3600 as snapshot_working_hours,

        ---------- working days
        resolved_day.working_day_number - received_day.working_day_number as resolution_working_days,
        -- Resolution is due by the close of the Nth working day after the day the complaint came in.
        {{ dbt.dateadd('second', 'due_day.closes_second', 'cast(due_day.date_day as ' ~ dbt.type_timestamp() ~ ')') }}
            as resolution_due_local_at
    from localised
    left join dates as received_day
        on cast(localised.received_local_at as date) = received_day.date_day
    left join dates as responded_day
        on cast(localised.first_responded_local_at as date) = responded_day.date_day
    left join dates as resolved_day
        on cast(localised.resolved_local_at as date) = resolved_day.date_day
    left join dates as snapshot_day
        on cast(localised.snapshot_local_at as date) = snapshot_day.date_day
    left join dates as due_day
        on
            due_day.working_day_number = received_day.working_day_number + localised.resolution_standard_working_days
            and due_day.is_working_day

),

final as (

    select
        *,
        {{ to_utc('resolution_due_local_at') }} as resolution_due_at,
        -- Answered within the standard on its clock; unanswered and past it by the snapshot: late.
        case
            when first_responded_at is not null
                then
                    case
                        when first_response_clock = 'calendar' then first_response_hours else
                            first_response_working_hours
                    end
                    <= first_response_standard_hours
            when
                is_handling_tracked
                and case when first_response_clock = 'calendar' then snapshot_hours else snapshot_working_hours end
                > first_response_standard_hours
                then false
        end as is_first_response_timely,
        -- Resolved by the deadline; unresolved and past it by the snapshot: late; else not yet due.
        case
            when resolved_at is not null then resolved_local_at <= resolution_due_local_at
            when is_handling_tracked and snapshot_local_at > resolution_due_local_at then false
        end as is_resolution_timely
    from clocked

)

select * from final
