-- Daily surge flags for the total and every channel, category, product and region, and values new to a series.
--
-- A day's expected count = the series' level x its weekday's factor x, on a public holiday, that holiday's
-- effect on the series, all from the series' own history without holidays, by estimators that past surges
-- barely move:
-- 1. weekday factors: each weekday's median over the season weeks (the larger of two, none from one) against
--    all days' median (one complaint a day added to both, so a small series' factors stay near 1);
-- 2. the level, from the baseline weeks' counts over their weekday factors: where they trend (Mann-Kendall
--    test, on two weeks or more), Sen's line (the median of the pairwise slopes) carried to the day, as
--    long as it stays within the watch ratio of the largest of them; else their mean without the days
--    significantly far from their median (past surges, outages), so a series that grows or shrinks
--    steadily keeps an expectation that follows it, and a surge last week does not raise this week's;
-- 3. a holiday's effect: what the series' past holidays (the same holiday first, else any; on a weekend,
--    past weekend holidays) brought against their expectation, shrunk towards var holiday_uplift, which
--    applies with no history;
-- then the count's z-score on the 2/3-power scale (macro count_z_score), overdispersion, the level's own
-- uncertainty and a holiday effect's included. A series with no complaints on its n baseline days is
-- expected to have at most the rule of three's 3 / n a day, so a value new to it flags when it comes in
-- numbers.
{%- set baseline_days = 7 * var('surge_baseline_weeks') %}
{%- set season_days = 7 * var('surge_season_weeks') %}
{%- set holiday_days = var('surge_holiday_history_days') %}
{%- set new_value_days = 7 * var('new_value_weeks') %}
{#- A day's row reaches back over its season (and level) window and the new-value weeks; a holiday's over
    the past holidays too, whose own expectations reach back again. -#}
{%- set rebuild_days = [season_days, new_value_days] | max %}
{%- set lookback_days = [rebuild_days, holiday_days + season_days] | max %}
{%- set day_number = dbt.datediff("cast('2000-01-01' as date)", 'loaded_days.complaint_date', 'day') %}
with

{% if is_incremental() -%}
rebuilt as (

    {{ rebuild_dates(rebuild_days) }}

),
{%- endif %}

-- The days this run rebuilds and the days their baselines and the new-value check look back on.
loaded_days as (

    select * from {{ ref('stg_pipeline__complaint_date_loads') }}

),

window_days as (

    select
        loaded_days.complaint_date as date_day,
        {{ day_number }} as day_number,
        loaded_days.loaded_at,
        dates.iso_day_of_week,
        dates.is_holiday,
        dates.holiday_name,
        -- The days whose expectation this run works out: those it rebuilds, and the holidays before them,
        -- whose effects their holidays learn from.
        {% if is_incremental() -%}
            dates.is_holiday or loaded_days.complaint_date in (select rebuild_date from rebuilt)
        {%- else -%}
            true
        {%- endif %} as is_target
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
        series_key,
        dimension_name,
        dimension_value
    from counted

),

-- Every series on every loaded day, zero where nothing came in.
filled as (

    select
        series.series_key,
        series.dimension_name,
        series.dimension_value,
        window_days.date_day,
        window_days.day_number,
        window_days.iso_day_of_week,
        window_days.is_holiday,
        window_days.holiday_name,
        window_days.is_target,
        window_days.loaded_at,
        coalesce(counted.complaint_count, 0) as complaint_count
    from series
    cross join window_days
    left join counted
        on
            series.series_key = counted.series_key
            and window_days.date_day = counted.complaint_date

),

-- The history a target day's expectation learns from: the season's days before it, holidays left out.
history_days as (

    select
        target_day.series_key,
        target_day.date_day,
        past_day.date_day as past_date,
        past_day.day_number as past_day_number,
        past_day.iso_day_of_week as past_weekday,
        past_day.complaint_count as past_count,
        past_day.date_day >= {{ dbt.dateadd('day', -baseline_days, 'target_day.date_day') }} as is_baseline
    from filled as target_day
    inner join filled as past_day
        on
            target_day.series_key = past_day.series_key
            and target_day.date_day > past_day.date_day
            and past_day.date_day >= {{ dbt.dateadd('day', -season_days, 'target_day.date_day') }}
            and not past_day.is_holiday
    where target_day.is_target

),

---------- 1. weekday factors

season_median as (

    select
        series_key,
        date_day,
        percentile_cont(0.5) within group (order by past_count) as median_count
    from history_days
    group by series_key, date_day

),

weekday_factors as (

    select
        history_days.series_key,
        history_days.date_day,
        history_days.past_weekday as iso_day_of_week,
        -- From the second week on; with two weeks, the larger (a quiet day among two is no pattern yet); with
        -- one, none (that day's count would be its own factor, and a surge on it would hide the next).
        case
            when count(*) >= 3
                then
                    (percentile_cont(0.5) within group (order by history_days.past_count) + 1.0)
                    / (max(season_median.median_count) + 1.0)
            when count(*) = 2 then (max(history_days.past_count) + 1.0) / (max(season_median.median_count) + 1.0)
            else 1.0
        end as weekday_factor
    from history_days
    inner join season_median using (series_key, date_day)
    group by history_days.series_key, history_days.date_day, history_days.past_weekday

),

---------- 2. the level

level_points as (

    select
        history_days.series_key,
        history_days.date_day,
        history_days.past_day_number,
        history_days.past_count / weekday_factors.weekday_factor as level_count
    from history_days
    inner join weekday_factors
        on
            history_days.series_key = weekday_factors.series_key and history_days.date_day = weekday_factors.date_day
            and history_days.past_weekday = weekday_factors.iso_day_of_week
    where history_days.is_baseline

),

point_median as (

    select
        series_key,
        date_day,
        count(*) as point_count,
        max(level_count) as max_level,
        percentile_cont(0.5) within group (order by level_count) as median_level
    from level_points
    group by series_key, date_day

),

-- Every pair of points: Sen's slope is their slopes' median; Mann-Kendall's S, the sum of their signs.
pair_slopes as (

    select
        earlier.series_key,
        earlier.date_day,
        percentile_cont(0.5) within group (
            order by (later.level_count - earlier.level_count) / (later.past_day_number - earlier.past_day_number)
        ) as sen_slope,
        sum(case
            when later.level_count > earlier.level_count then 1
            when later.level_count < earlier.level_count then -1
            else 0
        end) as kendall_s
    from level_points as earlier
    inner join level_points as later
        on
            earlier.series_key = later.series_key and earlier.date_day = later.date_day
            and earlier.past_day_number < later.past_day_number
    group by earlier.series_key, earlier.date_day

),

trend as (

    select
        point_median.*,
        pair_slopes.sen_slope,
        -- Mann-Kendall's z (continuity-corrected; no ties correction), from two weeks of points: fewer are
        -- a week's pattern as often as a trend.
        case
            when point_median.point_count >= 14 then
                (pair_slopes.kendall_s - sign(pair_slopes.kendall_s)) / sqrt(
                    point_median.point_count * (point_median.point_count - 1.0)
                    * (2 * point_median.point_count + 5) / 18
                )
        end as trend_z
    from point_median
    left join pair_slopes using (series_key, date_day)

),

-- Each point carried to the day along Sen's line, and its distance from the line and from the median.
carried as (

    select
        level_points.series_key,
        level_points.date_day,
        level_points.level_count,
        level_points.level_count + coalesce(trend.sen_slope, 0) * (filled.day_number - level_points.past_day_number)
            as carried_count,
        abs(level_points.level_count - trend.median_level) as median_distance
    from level_points
    inner join trend using (series_key, date_day)
    inner join filled using (series_key, date_day)

),

line as (

    select
        series_key,
        date_day,
        percentile_cont(0.5) within group (order by carried_count) as sen_level,
        percentile_cont(0.5) within group (order by median_distance) as median_mad
    from carried
    group by series_key, date_day

),

line_spread as (

    select
        carried.series_key,
        carried.date_day,
        percentile_cont(0.5) within group (order by abs(carried.carried_count - line.sen_level)) as line_mad
    from carried
    inner join line using (series_key, date_day)
    group by carried.series_key, carried.date_day

),

spread as (

    select
        trend.*,
        line.sen_level,
        -- The points' spread (1.4826 MAD, squared) over the Poisson's: the series' dispersion, at least 1.
        greatest(power(1.4826 * line.median_mad, 2) / nullif(trend.median_level, 0), 1.0) as flat_dispersion,
        greatest(power(1.4826 * line_spread.line_mad, 2) / nullif(line.sen_level, 0), 1.0) as line_dispersion,
        coalesce(
            abs(trend.trend_z) >= 2
            and line.sen_level between 0 and {{ var('surge_watch_ratio') }} * trend.max_level,
            false
        ) as is_trend
    from trend
    inner join line using (series_key, date_day)
    inner join line_spread using (series_key, date_day)

),

-- No trend: the mean of the points not significantly far from their median (past surges, outages).
kept_points as (

    select
        carried.series_key,
        carried.date_day,
        avg(carried.level_count) as mean_level,
        count(*) as kept_count
    from carried
    inner join spread using (series_key, date_day)
    where abs({{ count_z_score(
        'carried.level_count', 'greatest(spread.median_level, 0.5)', 'spread.flat_dispersion'
    ) }}) < {{ var('surge_min_z') }}
    group by carried.series_key, carried.date_day

),

level_chosen as (

    select
        spread.series_key,
        spread.date_day,
        spread.is_trend,
        case when spread.is_trend then spread.point_count else kept_points.kept_count end as level_days,
        case when spread.is_trend then spread.sen_level else kept_points.mean_level end as level_count,
        case when spread.is_trend then spread.line_dispersion else spread.flat_dispersion end as dispersion
    from spread
    left join kept_points using (series_key, date_day)

),

-- Every target day's expectation before any holiday effect.
base as (

    select
        filled.series_key,
        filled.date_day,
        filled.holiday_name,
        filled.complaint_count,
        filled.iso_day_of_week >= 6 as is_weekend,
        level_chosen.level_count * coalesce(weekday_factors.weekday_factor, 1.0) as base_count
    from filled
    inner join level_chosen using (series_key, date_day)
    left join weekday_factors
        on
            filled.series_key = weekday_factors.series_key and filled.date_day = weekday_factors.date_day
            and filled.iso_day_of_week = weekday_factors.iso_day_of_week

),

---------- 3. holidays' effects

holiday_history as (

    select
        current_day.series_key,
        current_day.date_day,
        sum(case when past_day.holiday_name = current_day.holiday_name then past_day.complaint_count end)
            as same_holiday_count,
        sum(case when past_day.holiday_name = current_day.holiday_name then past_day.base_count end)
            as same_holiday_expected,
        sum(past_day.complaint_count) as any_holiday_count,
        sum(past_day.base_count) as any_holiday_expected,
        -- How much holidays' effects vary: the variance of their log ratios (a count of 0 is no -infinity).
        count(*) as holidays_seen,
        var_samp(ln((past_day.complaint_count + 1.0) / (past_day.base_count + 1.0))) as effect_variance
    from base as current_day
    -- A holiday on a weekend takes less from a day that is quiet anyway: weekends learn from weekends.
    inner join base as past_day
        on
            current_day.series_key = past_day.series_key
            and current_day.is_weekend = past_day.is_weekend
            and current_day.date_day > past_day.date_day
            and past_day.date_day >= {{ dbt.dateadd('day', -holiday_days, 'current_day.date_day') }}
    where current_day.holiday_name is not null and past_day.holiday_name is not null
    group by current_day.series_key, current_day.date_day

),

holiday_effects as (

    select
        series_key,
        date_day,
        -- What past holidays brought, with var holiday_prior_count expected complaints' worth of the prior:
        -- one quiet holiday of a small series does not make the next one expect nothing.
        case
            when same_holiday_expected > 0
                then
                    (same_holiday_count + {{ var('holiday_uplift') }} * {{ var('holiday_prior_count') }})
                    / (same_holiday_expected + {{ var('holiday_prior_count') }})
            when any_holiday_expected > 0
                then
                    (any_holiday_count + {{ var('holiday_uplift') }} * {{ var('holiday_prior_count') }})
                    / (any_holiday_expected + {{ var('holiday_prior_count') }})
        end as holiday_effect,
        -- The effect's own uncertainty (a relative variance): the series' holidays' spread once it saw 3,
        -- else var holiday_effect_variance.
        case
            when holidays_seen >= 3 then effect_variance else {{ var('holiday_effect_variance') }}
        end as holiday_variance
    from holiday_history

),

---------- the expectation and the score

first_loaded as (

    select min(complaint_date) as first_date from loaded_days

),

-- A value of the series on no day of the weeks before (when the data reaches back that far).
history as (

    select
        current_day.series_key,
        current_day.date_day,
        sum(past_day.complaint_count) as earlier_count
    from filled as current_day
    inner join filled as past_day
        on
            current_day.series_key = past_day.series_key
            and current_day.date_day > past_day.date_day
            and past_day.date_day >= {{ dbt.dateadd('day', -new_value_days, 'current_day.date_day') }}
    where current_day.is_target
    group by current_day.series_key, current_day.date_day

),

expected as (

    select
        filled.dimension_name,
        filled.dimension_value,
        filled.date_day as surge_date,
        filled.is_holiday,
        filled.complaint_count as actual_count,
        level_chosen.level_days,
        level_chosen.is_trend,
        level_chosen.dispersion,
        coalesce(weekday_factors.weekday_factor, 1.0) as weekday_factor,
        case when filled.is_holiday then coalesce(holiday_effects.holiday_effect, {{ var('holiday_uplift') }}) end
            as holiday_effect,
        case
            when filled.is_holiday then coalesce(holiday_effects.holiday_variance, {{ var('holiday_effect_variance') }})
            else 0.0
        end as holiday_variance,
        -- The expectation, never below what a series with no complaints on level_days days may still have
        -- (the rule of three: 3 / days seen).
        greatest(
            level_chosen.level_count * coalesce(weekday_factors.weekday_factor, 1.0)
            * case
                when filled.is_holiday then coalesce(holiday_effects.holiday_effect, {{ var('holiday_uplift') }})
                else 1.0
            end,
            3.0 / level_chosen.level_days
        ) as expected_count,
        filled.dimension_name != 'total'
        and filled.complaint_count > 0
        and coalesce(history.earlier_count, 0) = 0
        and first_loaded.first_date <= {{ dbt.dateadd('day', -new_value_days, 'filled.date_day') }} as is_new_value,
        filled.loaded_at
    from filled
    cross join first_loaded
    left join level_chosen using (series_key, date_day)
    left join holiday_effects using (series_key, date_day)
    left join history using (series_key, date_day)
    -- Last: PostgreSQL joins `using` no table whose keys an `on` join has doubled.
    left join weekday_factors
        on
            filled.series_key = weekday_factors.series_key and filled.date_day = weekday_factors.date_day
            and filled.iso_day_of_week = weekday_factors.iso_day_of_week
    where filled.is_target

),

measured as (

    select
        *,
        {{ safe_ratio('actual_count', 'expected_count') }} as actual_to_expected_ratio,
        -- The level is a mean of level_days days: its own variance adds 1 / level_days of a day's (scaled
        -- by the day's factors); a holiday's effect adds its relative variance.
        {{ count_z_score(
            'actual_count',
            'expected_count',
            'dispersion * (1 + weekday_factor * coalesce(holiday_effect, 1.0) / level_days)'
            ~ ' + expected_count * holiday_variance'
        ) }} as surge_z_score
    from expected
    {%- if is_incremental() %}
        where surge_date in (select rebuild_date from rebuilt)
    {%- endif %}

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
        level_days as baseline_days,
        is_trend,
        dispersion,
        weekday_factor,
        holiday_effect,
        expected_count,
        actual_to_expected_ratio,
        surge_z_score,
        others_to_expected_ratio,
        case
            when level_days is null or level_days < {{ var('surge_min_baseline_days') }} then null
            {{ surge_levels('actual_to_expected_ratio', 'surge_z_score') }}
        end as surge_level,
        -- The total stands for itself. A value stands out when its ratio is surge_watch_ratio times its
        -- dimension's other values' together, and its count beyond what their rise brings is no noise.
        dimension_name = 'total'
        or (
            actual_to_expected_ratio >= {{ var('surge_watch_ratio') }} * coalesce(others_to_expected_ratio, 1.0)
            and {{ count_z_score('actual_count', 'greatest(shared_expected_count, 3.0 / level_days)', 'dispersion') }}
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
