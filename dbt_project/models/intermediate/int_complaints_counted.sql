-- Complaints counted per business date for the total and every channel, category, product and region.
with

complaints as (

    select * from {{ ref('int_complaints_clocked') }}
    where {{ is_rebuilt('complaint_date') }}

),

dimensioned as (

    {{ unpivot_dimensions('complaints') }}

),

final as (

    select
        complaint_date,
        dimension_name,
        dimension_value,
        count(*) as complaint_count,
        max(loaded_at) as loaded_at
    from dimensioned
    group by 1, 2, 3

)

select * from final
