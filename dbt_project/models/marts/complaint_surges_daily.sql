-- Daily surge flags for the total and every channel, category, product and region, and values new to a series.
{%- set baseline_days = 7 * var('surge_baseline_weeks') %}
{%- set new_value_days = 7 * var('new_value_weeks') %}
{#- A day's baseline leaves out the days the first pass flagged, whose own baselines look back again. -#}
{%- set lookback_days = [2 * baseline_days, new_value_days] | max %}
with

{% if is_incremental() -%}
rebuilt as (

    {{ rebuild_dates(lookback_days) }}

),
{%- endif %}

-- The days this run rebuilds and the days their baselines and the new-value check look back on.
loaded_days as (

    {{ date_loads() }}

),

window_days as (

    select
        loaded_days.complaint_date as date_day,
        loaded_days.loaded_at,
        dates.iso_day_of_week,
        dates.is_holiday
    from loaded_days
    inner join {{ ref('dates') }} as dates
        on loaded_days.complaint_date = dates.date_day
    {%- if is_incremental() %}
        where
            loaded_days.complaint_date
            >= (select {{ dbt.dateadd('day', -lookback_days, 'min(rebuild_date)') }} from rebuilt)
            and loaded_days.complaint_date <= (select max(rebuild_date) from rebuilt)
    {%- endif %}

),

counted as (

    select * from {{ ref('int_complaints_counted') }}
    where complaint_date in (select window_days.date_day from window_days)

),

series as (

    select distinct
        dimension_name,
        dimension_value
    from counted

),

-- Every series on every loaded day, zero where nothing came in.
filled as (

    select
        series.dimension_name,
        series.dimension_value,
        window_days.date_day,
        window_days.iso_day_of_week,
        window_days.is_holiday,
        window_days.loaded_at,
        coalesce(counted.complaint_count, 0) as complaint_count
    from series
    cross join window_days
    left join counted
        on
            series.dimension_name = counted.dimension_name
            and series.dimension_value = counted.dimension_value
            and window_days.date_day = counted.complaint_date

),

-- The same weekday in the trailing weeks, holidays left out: a holiday's peak never sets the baseline.
same_weekday as (

    select
        current_day.dimension_name,
        current_day.dimension_value,
        current_day.date_day,
        past_day.date_day as past_date,
        past_day.complaint_count as past_count
    from filled as current_day
    inner join filled as past_day
        on
            current_day.dimension_name = past_day.dimension_name
            and current_day.dimension_value = past_day.dimension_value
            and current_day.iso_day_of_week = past_day.iso_day_of_week
            and current_day.date_day > past_day.date_day
            and past_day.date_day >= {{ dbt.dateadd('day', -baseline_days, 'current_day.date_day') }}
            and not past_day.is_holiday

),

-- First pass: the plain median, to find the days that were surges themselves.
first_pass as (

    select
        filled.dimension_name,
        filled.dimension_value,
        filled.date_day,
        filled.complaint_count >= {{ var('surge_min_volume') }}
        and filled.complaint_count
        >= {{ var('surge_watch_ratio') }} * percentile_cont(0.5) within group (order by same_weekday.past_count)
        * case when filled.is_holiday then {{ var('holiday_uplift') }} else 1.0 end as is_past_surge
    from filled
    inner join same_weekday
        on
            filled.dimension_name = same_weekday.dimension_name
            and filled.dimension_value = same_weekday.dimension_value
            and filled.date_day = same_weekday.date_day
    group by 1, 2, 3, filled.complaint_count, filled.is_holiday

),

-- Second pass: the baseline from the same weekdays that were no surge, so past surges do not inflate it.
clean_weekday as (

    select same_weekday.*
    from same_weekday
    left join first_pass
        on
            same_weekday.dimension_name = first_pass.dimension_name
            and same_weekday.dimension_value = first_pass.dimension_value
            and same_weekday.past_date = first_pass.date_day
    where not coalesce(first_pass.is_past_surge, false)

),

baseline as (

    select
        dimension_name,
        dimension_value,
        date_day,
        percentile_cont(0.5) within group (order by past_count) as baseline_count,
        count(*) as baseline_weeks
    from clean_weekday
    group by 1, 2, 3

),

-- Median absolute deviation of the same weekdays around the baseline: the series' own spread.
spread as (

    select
        clean_weekday.dimension_name,
        clean_weekday.dimension_value,
        clean_weekday.date_day,
        percentile_cont(0.5) within group (
            order by abs(clean_weekday.past_count - baseline.baseline_count)
        ) as baseline_mad
    from clean_weekday
    inner join baseline
        on
            clean_weekday.dimension_name = baseline.dimension_name
            and clean_weekday.dimension_value = baseline.dimension_value
            and clean_weekday.date_day = baseline.date_day
    group by 1, 2, 3

),

-- A value of the series on no day of the weeks before (when the data reaches back that far).
history as (

    select
        current_day.dimension_name,
        current_day.dimension_value,
        current_day.date_day,
        sum(past_day.complaint_count) as earlier_count
    from filled as current_day
    inner join filled as past_day
        on
            current_day.dimension_name = past_day.dimension_name
            and current_day.dimension_value = past_day.dimension_value
            and current_day.date_day > past_day.date_day
            and past_day.date_day >= {{ dbt.dateadd('day', -new_value_days, 'current_day.date_day') }}
    group by 1, 2, 3

),

first_loaded as (

    select min(complaint_date) as first_date from loaded_days

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
        spread.baseline_mad,
        -- A known holiday raises the expectation, not the alarm.
        baseline.baseline_count
        * case when filled.is_holiday then {{ var('holiday_uplift') }} else 1.0 end as expected_count,
        filled.dimension_name != 'total'
        and filled.complaint_count > 0
        and coalesce(history.earlier_count, 0) = 0
        and first_loaded.first_date <= {{ dbt.dateadd('day', -new_value_days, 'filled.date_day') }} as is_new_value,
        filled.loaded_at
    from filled
    cross join first_loaded
    left join baseline
        on
            filled.dimension_name = baseline.dimension_name
            and filled.dimension_value = baseline.dimension_value
            and filled.date_day = baseline.date_day
    left join spread
        on
            filled.dimension_name = spread.dimension_name
            and filled.dimension_value = spread.dimension_value
            and filled.date_day = spread.date_day
    left join history
        on
            filled.dimension_name = history.dimension_name
            and filled.dimension_value = history.dimension_value
            and filled.date_day = history.date_day
    {%- if is_incremental() %}
        where filled.date_day in (select rebuild_date from rebuilt)
    {%- endif %}

),

measured as (

    select
        *,
        {{ safe_ratio('actual_count', 'expected_count') }} as actual_to_expected_ratio,
        -- Robust z-score: the distance from the expectation in units of the series' spread (1.4826 MAD,
        -- the standard deviation of normal data), never less than Poisson noise: the day's count's, and
        -- its baseline's (a median of n weeks varies by pi / 2n times a count's variance).
        (actual_count - expected_count) / greatest(
            1.4826 * coalesce(baseline_mad, 0) * case when is_holiday then {{ var('holiday_uplift') }} else 1.0 end,
            {{ count_noise('expected_count', 'baseline_weeks') }}
        ) as surge_z_score
    from scored

),

-- The other values of the same dimension that day, together: did the whole dimension rise alike (a surge
-- that lies in another dimension, spread over this one's values), or does this value stand out?
others as (

    select
        *,
        sum(actual_count) over same_dimension - actual_count as others_actual_count,
        sum(expected_count) over same_dimension - expected_count as others_expected_count
    from measured
    window same_dimension as (partition by surge_date, dimension_name)

),

dimension_rise as (

    select
        *,
        {{ safe_ratio('others_actual_count', 'others_expected_count') }} as others_to_expected_ratio
    from others

),

-- What the dimension-wide rise alone would bring this value.
shared_rise as (

    select
        *,
        expected_count * coalesce(others_to_expected_ratio, 1.0) as shared_expected_count
    from dimension_rise

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
        baseline_mad,
        expected_count,
        actual_to_expected_ratio,
        surge_z_score,
        others_to_expected_ratio,
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
        end as surge_level,
        -- The total stands for itself. A value stands out when its ratio is surge_watch_ratio times its
        -- dimension's other values' together, and its count beyond what their rise brings is no noise.
        dimension_name = 'total'
        or (
            actual_to_expected_ratio >= {{ var('surge_watch_ratio') }} * coalesce(others_to_expected_ratio, 1.0)
            and (actual_count - shared_expected_count) / {{ count_noise('shared_expected_count', 'baseline_weeks') }}
            >= {{ var('surge_min_z') }}
        ) as is_concentrated,
        is_new_value,
        loaded_at
    from shared_rise

)

select
    final.*,
    coalesce(final.surge_level in ('warning', 'critical'), false) as is_surge
from final
