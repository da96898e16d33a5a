with

source as (

    select * from {{ source('crm', 'crm_customers') }}

),

renamed as (

    select
        customer_key,
        cast(first_purchase_date as date) as first_purchase_date,
        cast(last_purchase_date as date) as last_purchase_date,
        cast(order_count as bigint) as order_count,
        cast(spend_amount as double precision) as spend_amount,
        cast(export_date as date) as export_date
    from source

)

select * from renamed
