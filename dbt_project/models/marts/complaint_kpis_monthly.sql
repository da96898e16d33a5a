-- Monthly service KPIs for the total and every channel, category, product and region, against the
-- appraisal targets, with analysis timeliness from the pipeline's own publication log.
with

daily as (

    select * from {{ ref('complaint_kpis_daily') }}

),

targets as (

    select * from {{ ref('int_kpi_targets') }}

),

-- A count-weighted mean of daily means is the month's mean: each day's mean times its denominator.
{%- set weighted = {
    'avg_first_response_hours': 'first_responded_count',
    'avg_first_response_working_hours': 'first_responded_count',
    'avg_resolution_hours': 'resolved_count',
    'avg_resolution_working_hours': 'resolved_count',
    'avg_satisfaction_score': 'surveyed_count',
} %}
{%- set summed = [
    'complaint_count', 'first_responded_count', 'resolved_count', 'first_response_due_count',
    'timely_first_response_count', 'first_response_breach_count', 'resolution_due_count',
    'timely_resolution_count', 'resolution_breach_count', 'surveyed_count', 'satisfied_count',
    'effectively_resolved_count', 'escalated_count', 'repeat_count', 'reopened_count',
    'first_contact_resolved_count', 'total_cost_amount',
] %}

monthly as (

    select
        cast({{ dbt.date_trunc('month', 'complaint_date') }} as date) as month_start_date,
        dimension_name,
        dimension_value,
        count(*) as loaded_day_count,
        {%- for column in summed %}
            {#- a count stays a whole number on every warehouse (PostgreSQL sums a bigint into a numeric) #}
            cast(sum({{ column }}) as {{ 'double precision' if column.endswith('_amount') else 'bigint' }})
                as {{ column }},
        {%- endfor %}
        {%- for column, weight in weighted.items() %}
            {%- set weights = 'sum(case when ' ~ column ~ ' is not null then ' ~ weight ~ ' end)' %}
            {{ safe_ratio('sum(' ~ column ~ ' * ' ~ weight ~ ')', weights) }} as {{ column }},
        {%- endfor %}
        count(case when is_channel_missing then 1 end) as channel_missing_day_count,
        max(complaint_date) as last_loaded_date
    from daily
    group by 1, 2, 3

),

-- A business date is on time when its marts were first published by the deadline hour of the next day.
timeliness as (

    select
        cast({{ dbt.date_trunc('month', 'complaint_date') }} as date) as month_start_date,
        count(*) as published_day_count,
        count(case when is_published_on_time then 1 end) as on_time_day_count
    from {{ ref('stg_pipeline__mart_publications') }}
    group by 1

),

final as (

    select
        {{ kpi_rates('monthly', 'targets') }},
        last_day.end_of_day_backlog_count as end_of_month_backlog_count,
        coalesce(timeliness.published_day_count, 0) as published_day_count,
        coalesce(timeliness.on_time_day_count, 0) as on_time_day_count,
        {{ safe_ratio('timeliness.on_time_day_count', 'timeliness.published_day_count') }} as analysis_timeliness_rate,
        targets.analysis_timeliness_target,
        {{ safe_ratio('timeliness.on_time_day_count', 'timeliness.published_day_count') }}
        >= targets.analysis_timeliness_target as is_analysis_timeliness_target_met
    from monthly
    cross join targets
    left join daily as last_day
        on
            monthly.last_loaded_date = last_day.complaint_date
            and monthly.dimension_name = last_day.dimension_name
            and monthly.dimension_value = last_day.dimension_value
    left join timeliness
        on monthly.month_start_date = timeliness.month_start_date

)

select * from final
