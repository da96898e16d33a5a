-- The open book at the end of each day, as it was then known: the complaints received by then that the
-- versions landed by then showed open (not resolved), with their age and whether they were overdue against
-- the resolution standard. A version landing later changes the book from its landing date on, not before.
{%- set window_days = var('rebuild_following_days') %}
{%- set day_end = to_utc(dbt.dateadd('day', 1, 'cast(book_days.book_date as ' ~ dbt.type_timestamp() ~ ')')) %}
with

complaints as (

    select
        complaint_id,
        received_at,
        complaint_date,
        resolution_due_at
    from {{ ref('complaints') }}
    where is_handling_tracked

),

-- The days this run rebuilds (every loaded day on a full build).
book_days as (

    select loads.complaint_date as book_date
    from {{ ref('stg_pipeline__complaint_date_loads') }} as loads
    where {{ is_rebuilt('loads.complaint_date', window_days) }}

),

-- Each complaint open at the end of a book day: the day's latest known state says it is open, being handled,
-- or reopened (a reopened ticket may still show its first resolution's time): one of its open spells.
open_at_day_end as (

    select
        book_days.book_date,
        spells.channel,
        complaints.complaint_id,
        {{ hours_between('complaints.received_at', day_end) }} as age_hours,
        complaints.resolution_due_at < {{ day_end }} as is_overdue
    from book_days
    inner join {{ ref('int_complaints_open_spells') }} as spells
        on
            book_days.book_date >= spells.open_from_date
            and (spells.open_until_date is null or book_days.book_date < spells.open_until_date)
    inner join complaints
        on spells.complaint_id = complaints.complaint_id
    where complaints.complaint_date <= book_days.book_date

),

date_loads as (

    select * from {{ ref('stg_pipeline__complaint_date_loads') }}

),

final as (

    select
        open_at_day_end.book_date as backlog_date,
        open_at_day_end.channel,
        count(*) as open_count,
        count(case when open_at_day_end.is_overdue then 1 end) as overdue_count,
        count(case when open_at_day_end.age_hours < 24 then 1 end) as open_under_1_day_count,
        count(case when open_at_day_end.age_hours >= 24 and open_at_day_end.age_hours < 72 then 1 end)
            as open_1_to_3_days_count,
        count(case when open_at_day_end.age_hours >= 72 and open_at_day_end.age_hours < 168 then 1 end)
            as open_3_to_7_days_count,
        count(case when open_at_day_end.age_hours >= 168 then 1 end) as open_over_7_days_count,
        avg(open_at_day_end.age_hours) as avg_open_age_hours,
        max(date_loads.loaded_at) as loaded_at
    from open_at_day_end
    inner join date_loads
        on open_at_day_end.book_date = date_loads.complaint_date
    group by 1, 2

)

select * from final
