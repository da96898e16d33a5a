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
        coalesce(gate, 'passed') = 'blocked' as is_blocked
    from source

)

select * from renamed
