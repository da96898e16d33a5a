-- Complaints counted per business date for the total and every channel, category, product and region.
with

complaints as (

    select * from {{ ref('int_complaints_clocked') }}
    where {{ is_rebuilt('complaint_date') }}

),

dimensioned as (

    select
        complaints.*,
        dimensions.dimension_name,
        {{ dimension_value('dimensions.dimension_name') }} as dimension_value
    from complaints
    cross join {{ ref('int_complaint_dimensions') }} as dimensions

),

final as (

    select
        complaint_date,
        dimension_name,
        dimension_value,
        -- One column naming the series, for the surge model's joins.
        dimension_name || ':' || dimension_value as series_key,
        count(*) as complaint_count,
        max(loaded_at) as loaded_at
    from dimensioned
    group by complaint_date, dimension_name, dimension_value

)

select * from final
