-- Every channel's complaint versions in one relation: the raw contract's columns renamed and cast, and a CFPB
-- complaint given the category its consumer's Issue maps to (seed cfpb_issue_categories). The channels share
-- the contract (docs/contract.md) and differ in parsing (plugins/complaints_pipeline/sources), not here. One
-- row per version of a complaint; its business date is the local date it was received.
{%- set channels = ['phone', 'email', 'web', 'social'] %}
with

source as (

    {% for channel in channels %}
        select * from {{ source(channel, channel ~ '_complaints') }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- The categories CFPB Issues map to; `other`, none of ours, leaves the complaint to the classifier.
issues as (

    select
        category as issue_category,
        lower(issue) as issue_key
    from {{ ref('cfpb_issue_categories') }}
    where category != 'other'

),

-- The CFPB Issue's category, where the complaint came from CFPB and the Issue maps to one of ours.
issued as (

    select
        source.*,
        issues.issue_category
    from source
    left join issues
        on
            source.record_source = 'cfpb'
            and lower({{ json_text('source.extra', 'issue') }}) = issues.issue_key

),

renamed as (

    select
        ---------- ids
        complaint_id,
        source_record_id,
        customer_key,

        ---------- dimensions
        channel,
        lower(product) as product,
        -- Set by a person: the agent, the web form, a CFPB consumer's Issue.
        lower(coalesce(category, issue_category)) as category,
        lower(region) as region,
        lower(status) as status,
        lower(complexity) as complexity,
        language as language_code,
        cast(severity as integer) as severity,
        cast(escalation_level as integer) as escalation_level,

        ---------- measures
        cast(satisfaction_score as integer) as satisfaction_score,
        cast(compensation as double precision) as compensation_amount,
        cast(handling_minutes as double precision) as handling_minutes,

        ---------- text
        complaint_text,

        ---------- timestamps (UTC) and the business date
        cast(received_at as {{ dbt.type_timestamp() }}) as received_at,
        cast(first_response_at as {{ dbt.type_timestamp() }}) as first_responded_at,
        cast(resolved_at as {{ dbt.type_timestamp() }}) as resolved_at,
        cast({{ to_local('received_at') }} as date) as complaint_date,

        ---------- the version: the time it describes, and when and where it landed
        cast(version_at as {{ dbt.type_timestamp() }}) as version_at,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as version_loaded_at,
        cast(partition_date as date) as landed_date,
        record_source,
        version_kind,

        ---------- lineage
        source_file,
        source_position

    from issued

)

select * from renamed
