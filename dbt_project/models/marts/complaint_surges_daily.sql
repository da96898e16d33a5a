-- Daily surge flags for the total and for every channel, category, product and region.
{% set dimensions = {
    'total': "'all'",
    'channel': 'channel',
    'category': 'complaint_category',
    'product': 'product',
    'region': 'region',
} %}

with

complaints as (

    select * from {{ ref('complaints') }}

),

dates as (

    select * from {{ ref('dates') }}

),

counted as (

    {% for dimension, column in dimensions.items() %}
        select
            '{{ dimension }}' as dimension_name,
            {{ column }} as dimension_value,
            complaint_date,
            count(*) as complaint_count
        from complaints
        where {{ column }} is not null
        group by 2, 3
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

series as (

    select distinct
        dimension_name,
        dimension_value
    from counted

),

data_range as (

    select
        min(complaint_date) as first_date,
        max(complaint_date) as last_date
    from complaints

),

observed_days as (

    select dates.*
    from dates
    inner join data_range
        on dates.date_day between data_range.first_date and data_range.last_date

),

-- Every series on every day, zero where nothing came in.
filled as (

    select
        series.dimension_name,
        series.dimension_value,
        observed_days.date_day,
        observed_days.iso_day_of_week,
        observed_days.is_holiday,
        coalesce(counted.complaint_count, 0) as complaint_count
    from series
    cross join observed_days
    left join counted
        on
            series.dimension_name = counted.dimension_name
            and series.dimension_value = counted.dimension_value
            and observed_days.date_day = counted.complaint_date

),

-- Seasonal baseline: the median of the same weekday over the trailing weeks, holidays left out,
-- so a past surge (one day in four) or a holiday peak does not move it.
baseline as (

    select
        current_day.dimension_name,
        current_day.dimension_value,
        current_day.date_day,
        percentile_cont(0.5) within group (order by past_day.complaint_count) as baseline_count,
        count(past_day.date_day) as baseline_weeks
    from filled as current_day
    inner join filled as past_day
        on
            current_day.dimension_name = past_day.dimension_name
            and current_day.dimension_value = past_day.dimension_value
            and current_day.iso_day_of_week = past_day.iso_day_of_week
            and current_day.date_day > past_day.date_day
            and past_day.date_day >= {{ dbt.dateadd('day', -7 * var('surge_baseline_weeks'), 'current_day.date_day') }}
            and not past_day.is_holiday
    group by 1, 2, 3

),

scored as (

    select
        filled.dimension_name,
        filled.dimension_value,
        filled.date_day as surge_date,
        filled.is_holiday,
        filled.complaint_count as actual_count,
        baseline.baseline_count,
        coalesce(baseline.baseline_weeks, 0) as baseline_weeks,
        -- A known holiday raises the expectation, not the alarm.
        baseline.baseline_count
        * case when filled.is_holiday then {{ var('holiday_uplift') }} else 1.0 end as expected_count
    from filled
    left join baseline
        on
            filled.dimension_name = baseline.dimension_name
            and filled.dimension_value = baseline.dimension_value
            and filled.date_day = baseline.date_day

),

measured as (

    select
        scored.*,
        {{ safe_ratio('scored.actual_count', 'scored.expected_count') }} as actual_to_expected_ratio,
        -- z-score of a count: Poisson variance, inflated because the baseline is itself estimated
        -- from a few weeks (variance of the expectation ~ expected / weeks).
        (scored.actual_count - scored.expected_count)
        / sqrt(
            case when scored.expected_count > 1 then scored.expected_count else 1 end
            * (1 + 1.0 / case when scored.baseline_weeks > 0 then scored.baseline_weeks else 1 end)
        ) as surge_z_score
    from scored

),

final as (

    select
        dimension_name,
        dimension_value,
        surge_date,
        is_holiday,
        actual_count,
        baseline_count,
        baseline_weeks,
        expected_count,
        actual_to_expected_ratio,
        surge_z_score,
        case
            when baseline_weeks < 2 or actual_count < {{ var('surge_min_volume') }} then null
            when
                actual_to_expected_ratio >= {{ var('surge_critical_ratio') }}
                and surge_z_score >= {{ var('surge_min_z') }} then 'critical'
            when
                actual_to_expected_ratio >= {{ var('surge_warning_ratio') }}
                and surge_z_score >= {{ var('surge_min_z') }} then 'warning'
            when
                actual_to_expected_ratio >= {{ var('surge_watch_ratio') }}
                and surge_z_score >= {{ var('surge_min_z') }} then 'watch'
        end as surge_level
    from measured

)

select
    final.*,
    final.surge_level in ('warning', 'critical') as is_surge
from final
