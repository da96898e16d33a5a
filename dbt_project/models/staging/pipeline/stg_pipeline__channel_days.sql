with

source as (

    select * from {{ source('pipeline', 'load_reconciliation') }}

),

renamed as (

    select
        channel,
        partition_date as complaint_date,
        records_in as records_in_count,
        loaded as loaded_count,
        quarantined as quarantined_count,
        skipped as skipped_count,
        gate_messages,
        coalesce(withheld, 0) as withheld_count,
        coalesce(gate, 'passed') = 'blocked' as is_blocked,
        coalesce(gate, 'passed') = 'not_delivered' as is_not_delivered,
        -- A warehouse loaded before loads were timed counts as loaded at the start of time.
        coalesce(loaded_at, cast('1970-01-01' as {{ dbt.type_timestamp() }})) as loaded_at
    from source

)

select * from renamed
