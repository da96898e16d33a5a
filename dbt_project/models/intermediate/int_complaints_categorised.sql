-- Complaints with a category for every row, and how it was found (category_method), first that applies:
-- `person`: set by the agent, the web form or the CFPB consumer's Issue;
-- `keyword`: a keyword of seed category_keywords that overrides the classifier;
-- `model`: the learned classifier's category for the text (source pipeline.text_categories), with its
--     confidence and model version, when it was confident enough;
-- `keyword`: the keyword rules' best match (whole words): the cold start, and where the model is unsure;
-- `none`: uncategorised.
with

-- Only the dates this run rebuilds, before the keyword search below reads the texts.
complaints as (

    select * from {{ ref('int_complaints_versioned') }}
    where {{ is_rebuilt('complaint_date') }}

),

keywords as (

    select
        language_code,
        category,
        overrides_model,
        lower(keyword) as keyword
    from {{ ref('category_keywords') }}

),

-- The pairs whose text holds the keyword anywhere: a cheap join, which leaves the word test (a regular
-- expression compiled per pair) to these few (in the join it took minutes at a million complaints a day).
keyword_candidates as (

    select
        complaints.complaint_id,
        keywords.language_code,
        keywords.category,
        keywords.overrides_model,
        keywords.keyword,
        lower(complaints.complaint_text) as complaint_text
    from complaints
    inner join keywords
        on {{ dbt.position('keywords.keyword', 'lower(complaints.complaint_text)') }} > 0
    where complaints.category is null

),

keyword_hits as (

    select
        complaint_id,
        category,
        count(*) as hit_count,
        max(case when overrides_model then 1 else 0 end) as is_override
    from keyword_candidates
    where {{ keyword_matches('complaint_text', 'keyword', 'language_code') }}
    group by 1, 2

),

best_match as (

    select
        complaint_id,
        category,
        is_override = 1 as is_override,
        -- An overriding keyword's category first, then the most hits.
        row_number() over (
            partition by complaint_id order by is_override desc, hit_count desc, category asc
        ) as match_rank
    from keyword_hits

),

predicted as (

    select
        text_hash,
        category,
        confidence,
        model_version
    from {{ source('pipeline', 'text_categories') }}
    where category != 'uncategorised'

),

methods as (

    select
        complaints.complaint_id,
        best_match.category as keyword_category,
        predicted.category as model_category,
        predicted.confidence as model_confidence,
        predicted.model_version,
        case
            when complaints.category is not null then 'person'
            when best_match.is_override then 'keyword'
            when predicted.category is not null then 'model'
            when best_match.category is not null then 'keyword'
            else 'none'
        end as category_method
    from complaints
    left join best_match
        on
            complaints.complaint_id = best_match.complaint_id
            and best_match.match_rank = 1
    left join predicted
        on
            complaints.category is null
            and md5(complaints.complaint_text) = predicted.text_hash

),

final as (

    select
        complaints.*,
        methods.category_method,
        case methods.category_method
            when 'person' then complaints.category
            when 'keyword' then methods.keyword_category
            when 'model' then methods.model_category
            else 'uncategorised'
        end as complaint_category,
        complaints.category is null as is_category_inferred,
        case when methods.category_method = 'model' then methods.model_confidence end as category_confidence,
        case when methods.category_method = 'model' then methods.model_version end as category_model_version
    from complaints
    inner join methods
        on complaints.complaint_id = methods.complaint_id

)

select * from final
