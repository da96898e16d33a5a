-- The date dimension: weekdays, public holidays, the working schedule and the working-time clock.
-- It covers whole years: from the first year of the complaint dates loaded to the year after the last (the
-- models look ahead for deadlines), widened by vars calendar_start and calendar_end where set.
{%- set max_days = 100 * 366 %}
{%- set start, end = var('calendar_start', none), var('calendar_end', none) %}
{%- set wider_start = "cast('" ~ start ~ "' as date)" if start else 'bounds.first_day' %}
{%- set wider_end = "cast('" ~ end ~ "' as date)" if end else 'bounds.last_day' %}
with

loaded_dates as (

    select * from {{ ref('int_complaint_date_bounds') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('year', 'coalesce(first_date, ' ~ dbt.current_timestamp() ~ ')') }} as date)
            as first_day,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', 2, dbt.date_trunc(
            'year', 'coalesce(last_date, ' ~ dbt.current_timestamp() ~ ')'))) }} as date) as last_day
    from loaded_dates

),

configured as (

    select
        least(bounds.first_day, {{ wider_start }}) as first_day,
        greatest(bounds.last_day, {{ wider_end }}) as last_day
    from bounds

),

numbers as (

    {{ dbt.generate_series(max_days) }}

),

-- Up to 100 years; the test calendar_covers_the_data fails the build if the data spans more.
spine as (

    select cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'configured.first_day') }} as date) as date_day
    from configured
    cross join numbers
    where numbers.generated_number - 1 <= {{ dbt.datediff('configured.first_day', 'configured.last_day', 'day') }}

),

holidays as (

    select * from {{ source('pipeline', 'public_holidays') }}
    where
        country_code = '{{ var("holiday_country") }}'
        and subdivision_code = '{{ var("holiday_subdivision") }}'

),

schedule as (

    select
        iso_day_of_week,
        {{ clock_seconds('opens_at') }} as opens_second,
        {{ clock_seconds('closes_at') }} as closes_second
    from {{ ref('working_schedule') }}

),

days as (

    select
        spine.date_day,
        cast(extract(isodow from spine.date_day) as integer) as iso_day_of_week,
        holidays.holiday_name,
        holidays.holiday_date is not null as is_holiday
    from spine
    left join holidays
        on spine.date_day = holidays.holiday_date

),

scheduled as (

    select
        days.*,
        schedule.iso_day_of_week is not null and not days.is_holiday as is_working_day,
        case when not days.is_holiday then schedule.opens_second end as opens_second,
        case when not days.is_holiday then schedule.closes_second end as closes_second
    from days
    left join schedule
        on days.iso_day_of_week = schedule.iso_day_of_week

),

final as (

    select
        date_day,
        iso_day_of_week,
        iso_day_of_week >= 6 as is_weekend,
        is_holiday,
        holiday_name,
        is_working_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,

        ---------- the working schedule (local time; null on a day off)
        opens_second,
        closes_second,
        coalesce(closes_second - opens_second, 0) as working_seconds,

        ---------- clocks: the difference of two days' values is the working time between them
        -- Working days from the calendar's first day up to and including this day.
        count(case when is_working_day then 1 end)
            over (order by date_day rows between unbounded preceding and current row) as working_day_number,
        -- Working seconds from the calendar's first day up to this day's midnight.
        cast(coalesce(
            sum(coalesce(closes_second - opens_second, 0))
                over (order by date_day rows between unbounded preceding and 1 preceding),
            0
        ) as bigint) as working_seconds_before

    from scheduled

)

select * from final
