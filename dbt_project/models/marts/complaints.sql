-- One row per complaint with its service-level clocks, outcome flags and cost.
-- depends_on: {{ ref('stg_pipeline__channel_days') }}
{{ config(pre_hook="{{ joins_as_written() }}", post_hook="{{ joins_as_written(false) }}") }}
{%- set lookback = var('repeat_window_days') + 1 %}
with

{% if is_incremental() -%}
-- Incremental by complaint, as int_complaints_clocked (macros/clock_rebuild.sql): the dates whose complaints
-- changed and the days after them whose repeat flags look back at them, whole; and the complaints whose clocks
-- still run on the days before the landing days loaded since.
rebuilt as (

    {{ rebuild_dates(var('rebuild_following_days')) }}

),

clock_dates as (

    {{ clock_dates() }}

),
{%- endif %}

-- The complaints this run rebuilds: their keys, and (read once, below) their wide rows.
{%- set rebuilt_date = "complaint_date in (select rebuild_date from rebuilt)" if is_incremental() else "true" %}
{%- set rebuilt_filter %}
    {%- if is_incremental() %}
        where
            {{ rebuilt_date }}
            or {{ is_clock_running() }} and complaint_date in (select rebuild_date from clock_dates)
    {%- endif %}
{%- endset %}
rebuilt_keys as (

    select
        complaint_id,
        customer_key,
        md5(complaint_text) as text_hash,
        {{ rebuilt_date }} as is_date_rebuilt
    from {{ ref('int_complaints_clocked') }}
    {{- rebuilt_filter }}

),

rebuilt_complaints as (

    select * from {{ ref('int_complaints_clocked') }}
    {{- rebuilt_filter }}

),

-- A complaint rebuilt for its clocks alone keeps its repeat flag (what came before it has not changed).
kept as (

    {%- if is_incremental() %}
        select
            complaint_id,
            is_repeat
        from {{ this }}
        where complaint_id in (select complaint_id from rebuilt_keys where not is_date_rebuilt)
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as complaint_id,
            cast(null as boolean) as is_repeat
        where false
    {%- endif %}

),

causes as (

    select * from {{ ref('category_causes') }}

),

-- The stages' rates, one row (seed cost_rates).
rates as (

    select
        max(case when rate_name = 'agent_minute' then rate end) as agent_minute,
        max(case when rate_name = 'registration_minutes' then rate end) as registration_minutes,
        max(case when rate_name = 'escalation_level' then rate end) as escalation_level,
        max(case when rate_name = 'compensation' then rate end) as compensation,
        max(case when rate_name = 'follow_up_survey' then rate end) as follow_up_survey
    from {{ ref('cost_rates') }}

),

-- Each complaint's cost by stage: registering takes the first registration_minutes of its handling minutes (that
-- many where its source records none), investigating the rest.
stage_costs as (

    select
        complaints.*,
        rates.agent_minute * coalesce(
            least(complaints.handling_minutes, rates.registration_minutes), rates.registration_minutes
        ) as registration_cost,
        rates.agent_minute
        * coalesce(greatest(complaints.handling_minutes - rates.registration_minutes, 0), 0) as investigation_cost,
        rates.escalation_level * coalesce(complaints.escalation_level, 0) as escalation_cost,
        rates.compensation * coalesce(complaints.compensation_amount, 0) as compensation_cost,
        case when complaints.satisfaction_score is not null then rates.follow_up_survey else 0 end as follow_up_cost
    from rebuilt_complaints as complaints
    cross join rates

),

clocked as (

    select
        *,
        registration_cost + investigation_cost + escalation_cost + compensation_cost + follow_up_cost as cost_amount
    from stage_costs

),

-- Each CRM customer's segment and value (one row per customer), and how priority weighs severity and value.
segments as (

    select * from {{ ref('customer_segments') }}

),

weights as (

    select
        max(case when factor = 'severity' then weight end) as severity_weight,
        max(case when factor = 'customer_value' then weight end) as value_weight
    from {{ ref('priority_weights') }}

),

-- Floods and copy campaigns (one row per complaint).
screened as (

    select * from {{ ref('int_complaints_screened') }}

),

-- Each text's sentiment, scored once at its first load (plugins/complaints_pipeline/sentiment.py).
sentiments as (

    select * from {{ source('pipeline', 'text_sentiment') }}

),

-- Each customer's complaints of the rebuilt dates and the days before that a repeat complaint looks back on (their
-- earlier complaint may be older than this run's dates: the window reaches back for it).
customer_complaints as (

    select
        complaint_id,
        customer_key,
        received_at
    from {{ ref('int_complaints_clocked') }}
    where
        customer_key is not null
    {%- if is_incremental() %}
            and complaint_date >= (select {{ dbt.dateadd('day', -lookback, 'min(rebuild_date)') }} from rebuilt)
            and complaint_date <= (select max(rebuild_date) from rebuilt)
            and customer_key in (select customer_key from rebuilt_keys where is_date_rebuilt)
        {%- endif %}

),

repeats as (

    select
        complaint_id,
        -- The same customer complained within the window before.
        coalesce(
            {{ dbt.datediff(
                'lag(received_at) over (partition by customer_key order by received_at, complaint_id)',
                'received_at',
                'second'
            ) }} <= {{ var('repeat_window_days') }} * 86400,
            false
        ) as is_repeat
    from customer_complaints

),

-- What the rebuilt complaints take from other models, joined on narrow rows of their keys (the wide rows are
-- joined to them once).
joined as (

    select
        complaint_keys.complaint_id,
        sentiments.sentiment_score,
        sentiments.sentiment_label,
        sentiments.sentiment_method,
        segments.customer_segment,
        segments.customer_value_score,
        screened.customer_complaints_24h,
        screened.customer_complaints_30d,
        screened.copy_group,
        screened.is_suspected_flood,
        screened.is_suspected_campaign,
        screened.is_surge_counted,
        case
            when complaint_keys.is_date_rebuilt then coalesce(repeats.is_repeat, false)
            else coalesce(kept.is_repeat, false)
        end as is_repeat
    from rebuilt_keys as complaint_keys
    left join repeats
        on complaint_keys.complaint_id = repeats.complaint_id
    left join kept
        on complaint_keys.complaint_id = kept.complaint_id
    left join sentiments
        on complaint_keys.text_hash = sentiments.text_hash
    left join screened
        on complaint_keys.complaint_id = screened.complaint_id
    left join segments
        on complaint_keys.customer_key = segments.customer_key

),

final as (

    -- Columns in groups by subject, as marts/_marts__models.yml documents them, not by complexity.
    select  -- noqa: ST06
        clocked.complaint_id,
        clocked.channel,
        clocked.complaint_date,
        clocked.received_at,
        clocked.first_responded_at,
        clocked.resolved_at,
        clocked.customer_key,
        clocked.product,
        clocked.region,
        clocked.complaint_category,
        clocked.is_category_inferred,
        clocked.category_method,
        clocked.category_confidence,
        clocked.category_model_version,
        causes.fishbone_cause,
        clocked.severity,
        clocked.complexity,
        clocked.status,
        clocked.escalation_level,
        clocked.satisfaction_score,
        clocked.compensation_amount,
        clocked.handling_minutes,
        clocked.language_code,
        clocked.complaint_text,

        ---------- sentiment
        joined.sentiment_score,
        joined.sentiment_label,
        joined.sentiment_method,

        ---------- service-level clocks
        clocked.first_response_hours,
        clocked.first_response_working_hours,
        clocked.resolution_hours,
        clocked.resolution_working_hours,
        clocked.resolution_working_days,
        clocked.first_response_standard_hours,
        clocked.first_response_clock,
        clocked.resolution_standard_working_days,
        clocked.resolution_due_at,
        clocked.snapshot_at,

        ---------- versions
        clocked.reopened_at,
        clocked.surveyed_at,
        clocked.version_count,
        clocked.version_at as current_version_at,

        ---------- the customer's value (marts.customer_segments) and the complaint's priority (seed priority_weights):
        ---------- severity 3 where the channel registers none, value 0.6 where the CRM does not know the customer
        coalesce(joined.customer_segment, 'unknown') as customer_segment,
        joined.customer_value_score,
        weights.severity_weight * coalesce(clocked.severity, 3) / 5.0
        + weights.value_weight * coalesce(joined.customer_value_score, 0.6) as priority_score,

        ---------- floods and copy campaigns (their flags below)
        joined.customer_complaints_24h,
        joined.customer_complaints_30d,
        joined.copy_group,

        ---------- cost, by stage (seed cost_rates)
        clocked.registration_cost,
        clocked.investigation_cost,
        clocked.escalation_cost,
        clocked.compensation_cost,
        clocked.follow_up_cost,
        clocked.cost_amount,

        ---------- outcome flags
        clocked.is_handling_tracked,
        clocked.first_responded_at is not null as has_first_response,
        clocked.resolved_at is not null as is_resolved,
        clocked.is_first_response_timely,
        clocked.is_resolution_timely,
        clocked.satisfaction_score is not null as is_surveyed,
        clocked.satisfaction_score >= 4 as is_satisfied,
        clocked.escalation_level > 0 as is_escalated,
        -- Reopened at some point: a version said so, or the current one does.
        case
            when clocked.is_handling_tracked
                then clocked.reopened_at is not null or coalesce(clocked.status, '') = 'reopened'
        end as is_reopened,
        -- Resolved in the first contact: the first response was the resolution.
        case
            when clocked.is_handling_tracked
                then coalesce(clocked.resolved_at <= clocked.first_responded_at, false)
        end as is_first_contact_resolution,
        -- Effective: resolved, not reopened, and the customer did not score the resolution 1 or 2.
        clocked.resolved_at is not null
        and coalesce(clocked.status, '') != 'reopened'
        and coalesce(clocked.satisfaction_score, 3) >= 3 as is_effectively_resolved,
        joined.is_repeat,
        coalesce(joined.is_suspected_flood, false) as is_suspected_flood,
        coalesce(joined.is_suspected_campaign, false) as is_suspected_campaign,
        coalesce(joined.is_surge_counted, true) as is_surge_counted,
        joined.sentiment_label = 'negative' as is_negative,

        clocked.loaded_at

    from clocked
    inner join joined
        on clocked.complaint_id = joined.complaint_id
    left join causes
        on clocked.complaint_category = causes.category
    cross join weights

)

select * from final
