-- The date dimension: weekdays, public holidays, the working schedule and the working-time clock.
with

spine as (

    {%- set first_day = "cast('" ~ var('calendar_start') ~ "' as date)" %}
    {%- set day_after_last = dbt.dateadd('day', 1, "cast('" ~ var('calendar_end') ~ "' as date)") %}
    {{ dbt.date_spine('day', first_day, day_after_last) }}

),

holidays as (

    select * from {{ ref('public_holidays') }}
    where country_code = '{{ var("holiday_country") }}'

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
        cast(spine.date_day as date) as date_day,
        cast(extract(isodow from spine.date_day) as integer) as iso_day_of_week,
        holidays.holiday_name,
        holidays.holiday_date is not null as is_holiday
    from spine
    left join holidays
        on cast(spine.date_day as date) = holidays.holiday_date

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
        -- Working days from calendar_start up to and including this day.
        sum(case when is_working_day then 1 else 0 end)
            over (order by date_day rows between unbounded preceding and current row) as working_day_number,
        -- Working seconds from calendar_start up to this day's midnight.
        coalesce(
            sum(coalesce(closes_second - opens_second, 0))
                over (order by date_day rows between unbounded preceding and 1 preceding),
            0
        ) as working_seconds_before

    from scheduled

)

select * from final
