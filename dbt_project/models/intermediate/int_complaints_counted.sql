-- Complaints counted per business date for the total and every channel, category, product and region: a day's
-- flood or copy campaign once (int_complaints_screened.is_surge_counted).
with

-- Each complaint of the dates this run rebuilds that the surge model counts, once per dimension.
dimensioned as (

    select
        complaints.*,
        dimensions.dimension_name,
        {{ dimension_value('dimensions.dimension_name') }} as dimension_value
    from {{ ref('int_complaints_clocked') }} as complaints
    inner join {{ ref('int_complaints_screened') }} as screened
        on complaints.complaint_id = screened.complaint_id
    cross join {{ ref('int_complaint_dimensions') }} as dimensions
    where
        {{ is_rebuilt('complaints.complaint_date') }}
        and screened.is_surge_counted

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
