-- Complaints with a category for every row: the registered one, else the keyword rules' best match.
with

-- Only the dates this run rebuilds, before the keyword search below reads the texts.
complaints as (

    select * from {{ ref('int_complaints_versioned') }}
    where {{ is_rebuilt('complaint_date') }}

),

keywords as (

    select * from {{ ref('category_keywords') }}

),

keyword_hits as (

    select
        complaints.complaint_id,
        keywords.category,
        count(*) as hit_count
    from complaints
    inner join keywords
        on {{ dbt.position('lower(keywords.keyword)', 'lower(complaints.complaint_text)') }} > 0
    where complaints.category is null
    group by 1, 2

),

best_match as (

    select
        complaint_id,
        category,
        row_number() over (partition by complaint_id order by hit_count desc, category asc) as match_rank
    from keyword_hits

),

final as (

    select
        complaints.*,
        coalesce(complaints.category, best_match.category, 'uncategorised') as complaint_category,
        complaints.category is null as is_category_inferred
    from complaints
    left join best_match
        on
            complaints.complaint_id = best_match.complaint_id
            and best_match.match_rank = 1

)

select * from final
