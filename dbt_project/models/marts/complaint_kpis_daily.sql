-- Daily service KPIs for the total and every channel, category, product and region, against the
-- appraisal targets. A channel whose day the quality gate blocked has a row with no complaints.
{%- set window_days = var('rebuild_following_days') %}
with

{% if is_incremental() -%}
rebuilt as (

    {{ rebuild_dates(window_days, var('clock_days')) }}

),
{%- endif %}

channel_days as (

    select * from {{ ref('stg_pipeline__channel_days') }}
    where {{ is_rebuilt('complaint_date', window_days, var('clock_days')) }}

),

complaints as (

    select * from {{ ref('complaints') }}
    where {{ is_rebuilt('complaint_date', window_days, var('clock_days')) }}

),

-- Tracked complaints that may still be open at the end of a rebuilt day (received up to the window before).
tracked as (

    select * from {{ ref('complaints') }}
    where
        is_handling_tracked
    {%- if is_incremental() %}
            and complaint_date >= (select {{ dbt.dateadd('day', -window_days, 'min(rebuild_date)') }} from rebuilt)
            and complaint_date <= (select max(rebuild_date) from rebuilt)
        {%- endif %}

),

backlog_candidates as (

    select
        *,
        cast({{ to_local('received_at') }} as date) as received_local_date,
        -- Open until resolved; an unresolved one is known open until its export's snapshot.
        {{ to_local('coalesce(resolved_at, snapshot_at)') }} as left_local_at
    from tracked

),

dates as (

    select * from {{ ref('dates') }}

),

targets as (

    select * from {{ ref('int_kpi_targets') }}

),

-- The loaded days this run rebuilds.
date_loads as (

    select * from {{ ref('stg_pipeline__complaint_date_loads') }}
    where {{ is_rebuilt('complaint_date', window_days, var('clock_days')) }}

),

rebuilt_days as (

    select dates.date_day
    from dates
    inner join date_loads
        on dates.date_day = date_loads.complaint_date

),

-- Complaints open at the end of each day: received in the window up to it, not resolved by midnight.
open_at_day_end as (

    select
        rebuilt_days.date_day as backlog_date,
        -- the dimensions' columns (complaint_dimensions()), not the complaint's own complaint_date
        backlog_candidates.channel,
        backlog_candidates.complaint_category,
        backlog_candidates.product,
        backlog_candidates.region
    from backlog_candidates
    inner join rebuilt_days
        on
            backlog_candidates.received_local_date <= rebuilt_days.date_day
            and rebuilt_days.date_day < {{ dbt.dateadd('day', window_days, 'backlog_candidates.received_local_date') }}
            and {{ dbt.dateadd('day', 1, 'cast(rebuilt_days.date_day as ' ~ dbt.type_timestamp() ~ ')') }}
            < backlog_candidates.left_local_at

),

-- The complaints, and the open ones at each day's end, once per dimension with their value in it.
{% for dimensioned, facts in [('dimensioned', 'complaints'), ('backlog_dimensioned', 'open_at_day_end')] %}
    {{ dimensioned }} as (

        select
            {{ facts }}.*,
            dimensions.dimension_name,
            {{ dimension_value('dimensions.dimension_name') }} as dimension_value
        from {{ facts }}
        cross join {{ ref('int_complaint_dimensions') }} as dimensions

    ),

{% endfor %}

backlog as (

    select
        backlog_date as complaint_date,
        dimension_name,
        dimension_value,
        count(*) as end_of_day_backlog_count
    from backlog_dimensioned
    group by 1, 2, 3

),

-- The complaints' figures per date, dimension and value (what the complaints read once, as they stream).
complaint_counts as (

    select
        dimensioned.complaint_date,
        dimensioned.dimension_name,
        dimensioned.dimension_value,
        count(*) as complaint_count,

        ---------- response and resolution
        count(case when dimensioned.has_first_response then 1 end) as first_responded_count,
        avg(dimensioned.first_response_hours) as avg_first_response_hours,
        avg(dimensioned.first_response_working_hours) as avg_first_response_working_hours,
        count(case when dimensioned.is_resolved then 1 end) as resolved_count,
        avg(dimensioned.resolution_hours) as avg_resolution_hours,
        avg(dimensioned.resolution_working_hours) as avg_resolution_working_hours,

        ---------- service levels
        count(case when dimensioned.is_first_response_timely is not null then 1 end) as first_response_due_count,
        count(case when dimensioned.is_first_response_timely then 1 end) as timely_first_response_count,
        count(case when not dimensioned.is_first_response_timely then 1 end) as first_response_breach_count,
        count(case when dimensioned.is_resolution_timely is not null then 1 end) as resolution_due_count,
        count(case when dimensioned.is_resolution_timely then 1 end) as timely_resolution_count,
        count(case when not dimensioned.is_resolution_timely then 1 end) as resolution_breach_count,

        ---------- outcomes
        count(case when dimensioned.is_surveyed then 1 end) as surveyed_count,
        count(case when dimensioned.is_satisfied then 1 end) as satisfied_count,
        avg(cast(dimensioned.satisfaction_score as double precision)) as avg_satisfaction_score,
        count(case when dimensioned.is_effectively_resolved then 1 end) as effectively_resolved_count,
        count(case when dimensioned.is_escalated then 1 end) as escalated_count,
        count(case when dimensioned.is_repeat then 1 end) as repeat_count,
        count(case when dimensioned.is_reopened then 1 end) as reopened_count,
        count(case when dimensioned.is_first_contact_resolution then 1 end) as first_contact_resolved_count,

        ---------- cost
        coalesce(sum(dimensioned.cost_amount), 0) as total_cost_amount

    from dimensioned
    group by 1, 2, 3

),

-- Every loaded day has a total row, and every loaded channel-day a channel row, complaints or not.
spine as (

    select
        complaint_date,
        dimension_name,
        dimension_value
    from complaint_counts
    union
    select
        complaint_date,
        'total' as dimension_name,
        'all' as dimension_value
    from date_loads
    union
    select
        complaint_date,
        'channel' as dimension_name,
        channel as dimension_value
    from channel_days

),

counts as (

    -- The columns in the order the marts document (kpi_rates reads counts.*), not by complexity.
    select  -- noqa: ST06
        spine.complaint_date,
        spine.dimension_name,
        spine.dimension_value,
        coalesce(complaint_counts.complaint_count, 0) as complaint_count,
        coalesce(complaint_counts.first_responded_count, 0) as first_responded_count,
        complaint_counts.avg_first_response_hours,
        complaint_counts.avg_first_response_working_hours,
        coalesce(complaint_counts.resolved_count, 0) as resolved_count,
        complaint_counts.avg_resolution_hours,
        complaint_counts.avg_resolution_working_hours,
        coalesce(complaint_counts.first_response_due_count, 0) as first_response_due_count,
        coalesce(complaint_counts.timely_first_response_count, 0) as timely_first_response_count,
        coalesce(complaint_counts.first_response_breach_count, 0) as first_response_breach_count,
        coalesce(complaint_counts.resolution_due_count, 0) as resolution_due_count,
        coalesce(complaint_counts.timely_resolution_count, 0) as timely_resolution_count,
        coalesce(complaint_counts.resolution_breach_count, 0) as resolution_breach_count,
        coalesce(complaint_counts.surveyed_count, 0) as surveyed_count,
        coalesce(complaint_counts.satisfied_count, 0) as satisfied_count,
        complaint_counts.avg_satisfaction_score,
        coalesce(complaint_counts.effectively_resolved_count, 0) as effectively_resolved_count,
        coalesce(complaint_counts.escalated_count, 0) as escalated_count,
        coalesce(complaint_counts.repeat_count, 0) as repeat_count,
        coalesce(complaint_counts.reopened_count, 0) as reopened_count,
        coalesce(complaint_counts.first_contact_resolved_count, 0) as first_contact_resolved_count,
        coalesce(complaint_counts.total_cost_amount, 0) as total_cost_amount
    from spine
    left join complaint_counts
        on
            spine.complaint_date = complaint_counts.complaint_date
            and spine.dimension_name = complaint_counts.dimension_name
            and spine.dimension_value = complaint_counts.dimension_value

),

final as (

    select
        {{ kpi_rates('counts', 'targets') }},
        coalesce(backlog.end_of_day_backlog_count, 0) as end_of_day_backlog_count,
        coalesce(channel_days.is_blocked or channel_days.is_not_delivered, false) as is_channel_missing,
        channel_days.gate_messages as quality_gate_messages,
        date_loads.loaded_at
    from counts
    cross join targets
    inner join date_loads
        on counts.complaint_date = date_loads.complaint_date
    left join backlog
        on
            counts.complaint_date = backlog.complaint_date
            and counts.dimension_name = backlog.dimension_name
            and counts.dimension_value = backlog.dimension_value
    left join channel_days
        on
            counts.dimension_name = 'channel'
            and counts.dimension_value = channel_days.channel
            and counts.complaint_date = channel_days.complaint_date

)

select * from final
