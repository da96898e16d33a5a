-- What each channel's landing day brought and what the pipeline made of it: the data-quality record the
-- report and BI tools show beside the KPIs (loaded, quarantined, withheld by a blocked day, not delivered).
with

channel_days as (

    select * from {{ ref('stg_pipeline__channel_days') }}

),

final as (

    select
        complaint_date as landing_date,
        channel,
        records_in_count,
        loaded_count,
        quarantined_count,
        skipped_count,
        withheld_count,
        is_blocked,
        is_not_delivered,
        gate_messages,
        {{ safe_ratio('quarantined_count', 'records_in_count') }} as quarantined_share
    from channel_days

)

select * from final
