-- The date dimension: weekdays, public holidays and a running count of working days.
with

spine as (

    {%- set first_day = "cast('" ~ var('calendar_start') ~ "' as date)" %}
    {%- set day_after_last = dbt.dateadd('day', 1, "cast('" ~ var('calendar_end') ~ "' as date)") %}
    {{ dbt.date_spine('day', first_day, day_after_last) }}

),

holidays as (

    select * from {{ ref('public_holidays') }}

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

final as (

    select
        date_day,
        iso_day_of_week,
        iso_day_of_week >= 6 as is_weekend,
        is_holiday,
        holiday_name,
        iso_day_of_week < 6 and not is_holiday as is_working_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        -- Working days elapsed between two dates = difference of this number.
        sum(case when iso_day_of_week < 6 and not is_holiday then 1 else 0 end)
            over (order by date_day rows between unbounded preceding and current row) as working_day_number
    from days

)

select * from final
