-- The date dimension covers every complaint date loaded, the days after it that the clocks and deadlines
-- need, and has the configured country's public holidays in each of its years: otherwise the build fails
-- here, naming the dates, instead of the marts silently dropping them or treating holidays as working days.
{{ config(store_failures=true, schema="audit") }}
{%- set days_ahead = var('clock_days') + 31 %}
with

loaded as (

    select * from {{ ref('int_complaint_date_bounds') }}

),

calendar as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from {{ ref('dates') }}

),

uncovered as (

    select
        'complaint dates from ' || cast(loaded.first_date as varchar) || ' to ' || cast(loaded.last_date as varchar)
        || ' (and ' || cast({{ days_ahead }} as varchar) || ' days after) fall outside the calendar, '
        || cast(calendar.first_day as varchar) || ' to ' || cast(calendar.last_day as varchar) as problem
    from loaded
    cross join calendar
    where
        loaded.first_date < calendar.first_day
        or {{ dbt.dateadd('day', days_ahead, 'loaded.last_date') }} > calendar.last_day

),

years_without_holidays as (

    select
        'the calendar''s year ' || cast(extract(year from date_day) as varchar)
        || ' has no public holidays of {{ var("holiday_country") }}'
        || ' in raw.public_holidays (the loader writes those of the years it loads)' as problem
    from {{ ref('dates') }}
    group by extract(year from date_day)
    having not max(case when is_holiday then 1 else 0 end) = 1

)

select problem from uncovered
union all
select problem from years_without_holidays
