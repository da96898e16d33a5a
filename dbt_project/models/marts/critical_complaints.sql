-- The fast lane (domain.md, severity): complaints that bypass the queue. A complaint is critical when its
-- severity is the highest (5, set by an agent or the customer's form) or its text names a safety hazard,
-- an injury, a fire, legal action, the media or a group complaint (seed critical_keywords, English words
-- whole, Chinese anywhere), or the learned classifier of a rule, where one was trained, gives its text a
-- probability of var critical_model_min_probability or more (source pipeline.text_critical, plugins/
-- complaints_pipeline/critical_model.py). The alert sends each one once, on its own (plugins/
-- complaints_pipeline/critical.py). No text and no customer here: what a person needs to act is the reference
-- and the reason.
with

complaints as (

    select * from {{ ref('int_complaints_categorised') }}
    where {{ is_rebuilt('complaint_date') }}

),

keywords as (

    select
        language_code,
        critical_rule,
        lower(keyword) as keyword
    from {{ ref('critical_keywords') }}

),

-- The pairs whose text holds the keyword anywhere: a cheap join, which leaves the word test (a regular
-- expression compiled per pair) to these few (in the join it took 423 s at a million complaints a day).
keyword_candidates as (

    select
        complaints.complaint_id,
        keywords.language_code,
        keywords.critical_rule,
        keywords.keyword,
        lower(complaints.complaint_text) as complaint_text
    from complaints
    inner join keywords
        on {{ dbt.position('keywords.keyword', 'lower(complaints.complaint_text)') }} > 0

),

keyword_hits as (

    select
        complaint_id,
        critical_rule,
        keyword
    from keyword_candidates
    where {{ keyword_matches('complaint_text', 'keyword', 'language_code') }}

),

-- The learned classifier's rules: the probability its model (of the text's first load) gave the text.
model_scores as (

    select
        complaints.complaint_id,
        scores.critical_rule,
        scores.probability
    from complaints
    inner join {{ source('pipeline', 'text_critical') }} as scores
        on md5(complaints.complaint_text) = scores.text_hash

),

model_hits as (

    select
        complaint_id,
        critical_rule,
        cast(null as {{ dbt.type_string() }}) as keyword
    from model_scores
    where probability >= {{ var('critical_model_min_probability') }}

),

severity_hits as (

    select
        complaint_id,
        'severity' as critical_rule,
        cast(null as {{ dbt.type_string() }}) as keyword
    from complaints
    where severity = 5

),

hits as (

    select * from severity_hits
    union all
    select * from keyword_hits
    union all
    select * from model_hits

),

-- Each complaint's rules in a fixed order (harm to people first), and the first rule's keyword.
ordered as (

    select
        complaint_id,
        critical_rule,
        keyword,
        case critical_rule
            when 'injury' then 1 when 'fire' then 2 when 'safety' then 3 when 'severity' then 4
            when 'legal' then 5 when 'media' then 6 when 'group' then 7
        end as rule_order
    from hits

),

ranked as (

    select
        *,
        -- a keyword before the model within a rule: the reason a person can read in the text
        row_number() over (
            partition by complaint_id order by rule_order, case when keyword is null then 1 else 0 end, keyword
        ) as rule_rank
    from ordered

),

distinct_rules as (

    select distinct
        complaint_id,
        critical_rule,
        rule_order
    from ordered

),

rule_lists as (

    select
        complaint_id,
        {{ dbt.listagg('critical_rule', "', '", 'order by rule_order') }} as critical_rules
    from distinct_rules
    group by complaint_id

),

reasons as (

    select
        complaint_id,
        max(case when rule_rank = 1 then critical_rule end) as critical_rule,
        max(case when rule_rank = 1 then keyword end) as matched_keyword,
        count(distinct critical_rule) as rule_count
    from ranked
    group by complaint_id

),

-- The classifier's probability for the first rule, where it has one.
first_scores as (

    select
        reasons.complaint_id,
        model_scores.probability as model_probability
    from reasons
    inner join model_scores
        on reasons.complaint_id = model_scores.complaint_id and reasons.critical_rule = model_scores.critical_rule

),

final as (

    select
        complaints.complaint_id,
        complaints.complaint_date,
        complaints.received_at,
        complaints.channel,
        complaints.complaint_category,
        complaints.product,
        complaints.region,
        complaints.severity,
        complaints.language_code,
        reasons.critical_rule,
        reasons.matched_keyword,
        first_scores.model_probability,
        reasons.rule_count,
        rule_lists.critical_rules,
        complaints.loaded_at
    from complaints
    inner join reasons
        on complaints.complaint_id = reasons.complaint_id
    inner join rule_lists
        on complaints.complaint_id = rule_lists.complaint_id
    left join first_scores
        on complaints.complaint_id = first_scores.complaint_id

)

select * from final
