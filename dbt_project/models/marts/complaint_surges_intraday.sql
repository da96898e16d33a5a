-- Surge flags within the day: for the total and every channel, category, product and region, the complaints
-- received today against what is expected by this time of day, as of var intraday_as_of (local wall-clock time;
-- the intraday run passes its data interval's end). Built only by the intraday run (tag intraday); a build
-- without the var has no rows.
--
-- Two spans are judged: the day so far (since midnight), and the last var intraday_window_minutes (a surge that
-- starts at noon shows there long before it outweighs the morning). A span's expected count = the day's expected
-- count (complaint_surges_daily's expectation for today: the series' level x its weekday's factor x a holiday's
-- effect, from the days before) x the share of the series' day that arrived in the span's hours, through the
-- channels that have reported today and each only as far as it has reported (its latest complaint received), on
-- the same weekday in the var intraday_share_weeks weeks before, public holidays apart. The score is the daily
-- model's (macro count_z_score, the same dispersion and level uncertainty), widened by how much that share
-- varies from day to day; the levels, the significance rule and the concentration check are the daily model's,
-- each within its span, but a span expecting fewer than var intraday_min_expected complaints is not judged (a
-- series needs the volume), and a span needs a z-score of var intraday_min_z (every run looks again: 144 looks
-- a day at the day so far, 48 new windows). A series shows its higher-level span (the larger z-score on a tie),
-- so one surge is one flag.
{%- set as_of = var('intraday_as_of', none) %}
{%- set share_days = 7 * var('intraday_share_weeks') %}
{%- set window_seconds = 60 * var('intraday_window_minutes') %}
{%- set seconds_of_day = "extract(hour from {0}) * 3600 + extract(minute from {0}) * 60 + extract(second from {0})" %}
{%- set received_second = seconds_of_day.format(to_local('complaints.received_at')) %}
with

as_of as (

    select
        cast('{{ as_of or "1900-01-01 00:00:00" }}' as {{ dbt.type_timestamp() }}) as as_of_local,
        cast(cast('{{ as_of or "1900-01-01 00:00:00" }}' as {{ dbt.type_timestamp() }}) as date) as as_of_date

),

-- The as-of time's second of the day, and where the window starts (midnight at the earliest).
cut as (

    select
        as_of.as_of_date,
        as_of.as_of_local,
        {{ seconds_of_day.format('as_of.as_of_local') }} as as_of_second,
        greatest({{ seconds_of_day.format('as_of.as_of_local') }} - {{ window_seconds }}, 0) as window_second,
        {{ dbt.dateadd(
            'second',
            'greatest(' ~ seconds_of_day.format('as_of.as_of_local') ~ ' - ' ~ window_seconds ~ ', 0)',
            'cast(as_of.as_of_date as ' ~ dbt.type_timestamp() ~ ')'
        ) }} as window_start_local,
        dates.iso_day_of_week
    from as_of
    inner join {{ ref('dates') }} as dates
        on as_of.as_of_date = dates.date_day

),

-- Today's complaints received by the as-of time, once per dimension, and whether each is in the window (a
-- rerun after more had loaded counts the same).
today_complaints as (

    select
        dimensions.dimension_name,
        {{ dimension_value('dimensions.dimension_name') }} as dimension_value,
        case when {{ received_second }} > cut.window_second then 1 else 0 end as is_in_window
    from {{ ref('int_complaints_categorised') }} as complaints
    inner join cut
        on
            complaints.complaint_date = cut.as_of_date
            and {{ to_local('complaints.received_at') }} <= cut.as_of_local
    cross join {{ ref('int_complaint_dimensions') }} as dimensions

),

so_far as (

    select
        dimension_name,
        dimension_value,
        count(*) as day_count,
        sum(is_in_window) as window_count
    from today_complaints
    group by dimension_name, dimension_value

),

-- The channels that have reported today, each through its latest complaint received by the as-of time (its
-- watermark): a channel whose export lands once a day (the call centre's) counts neither in today's count nor
-- in what is expected by now until it has, and one whose files land every few minutes is expected only through
-- what it has delivered, not through the minutes still on their way.
present as (

    select
        complaints.channel as present_channel,
        max({{ received_second }}) as reported_second
    from {{ ref('int_complaints_categorised') }} as complaints
    inner join cut
        on
            complaints.complaint_date = cut.as_of_date
            and {{ to_local('complaints.received_at') }} <= cut.as_of_local
    group by complaints.channel

),

-- The same weekday's complaints in the weeks before, holidays apart, once per dimension, and whether each came
-- by this time of day, and in the window's hours, through a channel that has reported today, by the time of day
-- that channel has reported through today.
history as (

    select
        complaints.complaint_date,
        dimensions.dimension_name,
        {{ dimension_value('dimensions.dimension_name') }} as dimension_value,
        case
            when {{ received_second }} <= present.reported_second then 1 else 0
        end as is_by_now,
        case
            when
                {{ received_second }} <= present.reported_second
                and {{ received_second }} > cut.window_second
                then 1
            else 0
        end as is_in_window
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
        cast(sum(is_by_now) as double precision) / count(*) as day_share,
        cast(sum(is_in_window) as double precision) / count(*) as window_share,
        sum(is_by_now) as by_now_count,
        sum(is_in_window) as in_window_count,
        count(*) as day_count
    from history
    group by dimension_name, dimension_value, complaint_date

),

-- Each series' share of a day in each span over the weeks' days together, and how much a day's own share varies
-- about it (its variance relative to the share squared: what it adds to a count's relative variance).
shares as (

    select
        dimension_name,
        dimension_value,
        'day' as span,
        count(*) as share_days,
        cast(sum(by_now_count) as double precision) / sum(day_count) as share_of_day,
        coalesce(var_samp(day_share), 0) as share_variance
    from day_shares
    group by dimension_name, dimension_value
    {%- if window_seconds > 0 %}
        union all
        select
            dimension_name,
            dimension_value,
            'window' as span,
            count(*) as share_days,
            cast(sum(in_window_count) as double precision) / sum(day_count) as share_of_day,
            coalesce(var_samp(window_share), 0) as share_variance
        from day_shares
        group by dimension_name, dimension_value
    {%- endif %}

),

-- Each series' expectation for the whole of today, from the daily model, in each span.
scored as (

    select
        surges.dimension_name,
        surges.dimension_value,
        surges.surge_date,
        cut.as_of_local,
        shares.span,
        case
            when shares.span = 'window' then cut.window_start_local
            else cast(cut.as_of_date as {{ dbt.type_timestamp() }})
        end as span_start_local,
        surges.is_holiday,
        surges.baseline_days,
        surges.dispersion,
        surges.weekday_factor,
        surges.holiday_effect,
        surges.expected_count as day_expected_count,
        shares.share_of_day,
        shares.share_days,
        shares.share_variance / nullif(power(shares.share_of_day, 2), 0) as share_relative_variance,
        surges.expected_count * shares.share_of_day as expected_count,
        case
            when shares.span = 'window' then coalesce(so_far.window_count, 0) else coalesce(so_far.day_count, 0)
        end as actual_count
    from {{ ref('complaint_surges_daily') }} as surges
    inner join cut
        on surges.surge_date = cut.as_of_date
    inner join shares
        on surges.dimension_name = shares.dimension_name and surges.dimension_value = shares.dimension_value
    left join so_far
        on surges.dimension_name = so_far.dimension_name and surges.dimension_value = so_far.dimension_value

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
        ) }} as surge_z_score,
        -- Every run looks again, at the day so far and at a new window: a stricter significance keeps a day's
        -- false alarms as rare as the daily model's one look.
        {{ var('intraday_min_z') }} as min_z
    from scored
    where expected_count > 0

),

others as (

    select
        *,
        sum(actual_count) over same_dimension - actual_count as others_actual_count,
        sum(expected_count) over same_dimension - expected_count as others_expected_count
    from measured
    window same_dimension as (partition by span, dimension_name)

),

levelled as (

    select
        dimension_name,
        dimension_value,
        surge_date,
        as_of_local,
        span,
        span_start_local,
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
            when share_days < {{ var('intraday_min_share_days') }} then null
            when expected_count < {{ var('intraday_min_expected') }} then null
            {{ surge_levels('actual_to_expected_ratio', 'surge_z_score', 'min_z') }}
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

),

-- Each series once: its span with the higher level, then the larger z-score.
ranked as (

    select
        *,
        row_number() over (
            partition by dimension_name, dimension_value
            order by
                case surge_level when 'critical' then 3 when 'warning' then 2 when 'watch' then 1 else 0 end desc,
                surge_z_score desc,
                span asc
        ) as span_rank
    from levelled

),

final as (

    select
        dimension_name,
        dimension_value,
        surge_date,
        as_of_local,
        span,
        span_start_local,
        is_holiday,
        actual_count,
        day_expected_count,
        share_of_day,
        share_days,
        expected_count,
        actual_to_expected_ratio,
        surge_z_score,
        others_to_expected_ratio,
        surge_level,
        is_concentrated
    from ranked
    where span_rank = 1

)

select
    final.*,
    coalesce(final.surge_level in ('warning', 'critical'), false) as is_surge
from final
