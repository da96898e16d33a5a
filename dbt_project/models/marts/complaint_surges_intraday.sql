-- Surge flags within the day: for the total and every channel, category, product and region, the complaints
-- received so far today against what is expected by this time of day, as of var intraday_as_of (local
-- wall-clock time; the intraday run passes its data interval's end). Built only by the intraday run (tag
-- intraday); a build without the var has no rows.
--
-- expected so far = the day's expected count (complaint_surges_daily's expectation for today: the series'
-- level x its weekday's factor x a holiday's effect, from the days before) x the share of the series' day that
-- arrived by this time of day, through the channels that have reported today, on the same weekday in the var
-- intraday_share_weeks weeks before, public holidays apart. The score is the
-- daily model's (macro count_z_score, the same dispersion and level uncertainty), widened by how much that
-- share varies from day to day; the levels, the significance rule and the concentration check are the daily
-- model's, so a surge flags at the same ratio and z-score early in the day as at its end, and one surge is
-- one alert.
{%- set as_of = var('intraday_as_of', none) %}
{%- set share_days = 7 * var('intraday_share_weeks') %}
{%- set seconds_of_day = "extract(hour from {0}) * 3600 + extract(minute from {0}) * 60 + extract(second from {0})" %}
with

as_of as (

    select
        cast('{{ as_of or "1900-01-01 00:00:00" }}' as {{ dbt.type_timestamp() }}) as as_of_local,
        cast(cast('{{ as_of or "1900-01-01 00:00:00" }}' as {{ dbt.type_timestamp() }}) as date) as as_of_date

),

cut as (

    select
        as_of.as_of_date,
        as_of.as_of_local,
        {{ seconds_of_day.format('as_of.as_of_local') }} as as_of_second,
        dates.iso_day_of_week
    from as_of
    inner join {{ ref('dates') }} as dates
        on as_of.as_of_date = dates.date_day

),

-- Today's complaints received by the as-of time, once per dimension (a rerun after more had loaded counts the
-- same).
so_far as (

    select
        dimensions.dimension_name,
        {{ dimension_value('dimensions.dimension_name') }} as dimension_value,
        count(*) as actual_count
    from {{ ref('int_complaints_categorised') }} as complaints
    inner join cut
        on
            complaints.complaint_date = cut.as_of_date
            and {{ to_local('complaints.received_at') }} <= cut.as_of_local
    cross join {{ ref('int_complaint_dimensions') }} as dimensions
    group by 1, 2

),

-- Each series' expectation for the whole of today, from the daily model.
today as (

    select
        surges.dimension_name,
        surges.dimension_value,
        surges.surge_date,
        surges.is_holiday,
        surges.baseline_days,
        surges.dispersion,
        surges.weekday_factor,
        surges.holiday_effect,
        surges.expected_count,
        coalesce(so_far.actual_count, 0) as actual_count
    from {{ ref('complaint_surges_daily') }} as surges
    inner join cut
        on surges.surge_date = cut.as_of_date
    left join so_far
        on surges.dimension_name = so_far.dimension_name and surges.dimension_value = so_far.dimension_value
    {%- if not as_of %}
        where false
    {%- endif %}

),

-- The channels that have reported today: a channel whose export lands once a day (the call centre's) counts
-- neither in today's count nor in what is expected by now until it has.
present as (

    select distinct complaints.channel as present_channel
    from {{ ref('int_complaints_categorised') }} as complaints
    inner join cut
        on
            complaints.complaint_date = cut.as_of_date
            and {{ to_local('complaints.received_at') }} <= cut.as_of_local

),

-- The same weekday's complaints in the weeks before, holidays apart, once per dimension, and whether each came
-- by this time of day through a channel that has reported today.
history as (

    select
        complaints.complaint_date,
        dimensions.dimension_name,
        {{ dimension_value('dimensions.dimension_name') }} as dimension_value,
        case
            when
                present.present_channel is not null
                and {{ seconds_of_day.format(to_local('complaints.received_at')) }} < cut.as_of_second
                then 1
            else 0
        end as is_by_now
    from {{ ref('int_complaints_categorised') }} as complaints
    inner join cut
        on
            complaints.complaint_date < cut.as_of_date
            and complaints.complaint_date >= {{ dbt.dateadd('day', -share_days, 'cut.as_of_date') }}
    inner join {{ ref('dates') }} as dates
        on complaints.complaint_date = dates.date_day
    cross join {{ ref('int_complaint_dimensions') }} as dimensions
    left join present
        on complaints.channel = present.present_channel
    where
        dates.iso_day_of_week = cut.iso_day_of_week
        and not dates.is_holiday

),

day_shares as (

    select
        dimension_name,
        dimension_value,
        complaint_date,
        sum(is_by_now) as by_now_count,
        count(*) as day_count
    from history
    group by dimension_name, dimension_value, complaint_date

),

-- Each series' share by now over the weeks' days together, and how much a day's own share varies about it (its
-- variance relative to the share squared: what it adds to a count's relative variance).
shares as (

    select
        dimension_name,
        dimension_value,
        count(*) as share_days,
        sum(by_now_count) * 1.0 / sum(day_count) as share_by_now,
        coalesce(var_samp(by_now_count * 1.0 / day_count), 0) as share_variance
    from day_shares
    group by dimension_name, dimension_value

),

scored as (

    select
        today.dimension_name,
        today.dimension_value,
        today.surge_date,
        cut.as_of_local,
        today.is_holiday,
        today.actual_count,
        today.baseline_days,
        today.dispersion,
        today.weekday_factor,
        today.holiday_effect,
        today.expected_count as day_expected_count,
        shares.share_by_now as share_of_day,
        shares.share_days,
        shares.share_variance / nullif(power(shares.share_by_now, 2), 0) as share_relative_variance,
        today.expected_count * shares.share_by_now as expected_count
    from today
    cross join cut
    left join shares
        on today.dimension_name = shares.dimension_name and today.dimension_value = shares.dimension_value

),

measured as (

    select
        *,
        {{ safe_ratio('actual_count', 'expected_count') }} as actual_to_expected_ratio,
        {{ count_z_score(
            'actual_count',
            'expected_count',
            'dispersion * (1 + weekday_factor * coalesce(holiday_effect, 1.0) / baseline_days)'
            ~ ' + expected_count * (coalesce(share_relative_variance, 0)'
            ~ ' + case when is_holiday then ' ~ var('holiday_effect_variance') ~ ' else 0 end)'
        ) }} as surge_z_score
    from scored
    where expected_count > 0

),

others as (

    select
        *,
        sum(actual_count) over same_dimension - actual_count as others_actual_count,
        sum(expected_count) over same_dimension - expected_count as others_expected_count
    from measured
    window same_dimension as (partition by dimension_name)

),

final as (

    select
        dimension_name,
        dimension_value,
        surge_date,
        as_of_local,
        is_holiday,
        actual_count,
        day_expected_count,
        share_of_day,
        share_days,
        expected_count,
        actual_to_expected_ratio,
        surge_z_score,
        {{ safe_ratio('others_actual_count', 'others_expected_count') }} as others_to_expected_ratio,
        case
            when baseline_days is null or baseline_days < {{ var('surge_min_baseline_days') }} then null
            when share_days is null or share_days < {{ var('intraday_min_share_days') }} then null
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
        dimension_name = 'total'
        or (
            actual_to_expected_ratio
            >= {{ var('surge_watch_ratio') }}
            * coalesce({{ safe_ratio('others_actual_count', 'others_expected_count') }}, 1.0)
            and {{ count_z_score(
                'actual_count',
                'greatest(expected_count * coalesce('
                ~ safe_ratio('others_actual_count', 'others_expected_count') ~ ', 1.0), 3.0 / baseline_days)',
                'dispersion'
            ) }} >= {{ var('surge_min_z') }}
        ) as is_concentrated
    from others

)

select
    final.*,
    coalesce(final.surge_level in ('warning', 'critical'), false) as is_surge
from final
