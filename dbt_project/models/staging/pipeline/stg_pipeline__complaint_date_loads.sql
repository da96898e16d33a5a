-- When each business date's complaints last changed: a landing date loaded (its channel rows exist even with
-- no complaints, or when the day gate blocked it), and every complaint date a load changed (a version landing
-- today may be of a complaint received weeks ago). Incremental models rebuild the dates changed since.
with

channel_days as (

    select
        complaint_date,
        loaded_at
    from {{ ref('stg_pipeline__channel_days') }}

),

changed as (

    select
        complaint_date,
        loaded_at
    from {{ source('pipeline', 'load_complaint_dates') }}

),

unioned as (

    select * from channel_days
    union all
    select * from changed

),

final as (

    select
        complaint_date,
        max(loaded_at) as loaded_at
    from unioned
    group by 1

)

select * from final
