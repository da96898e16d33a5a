-- One row per complaint with its service-level clocks, outcome flags and cost.
with

complaints as (

    select
        *,
        -- The data's own "now": the latest business date loaded (never the wall clock).
        max(complaint_date) over () as as_of_date
    from {{ ref('int_complaints_categorised') }}

),

standards as (

    select * from {{ ref('service_level_standards') }}

),

causes as (

    select * from {{ ref('category_causes') }}

),

dates as (

    select * from {{ ref('dates') }}

),

clocked as (

    select
        complaints.*,
        causes.fishbone_cause,
        standards.first_response_hours as first_response_standard_hours,
        standards.resolution_working_days as resolution_standard_working_days,
        {{ hours_between('complaints.received_at', 'complaints.first_responded_at') }} as first_response_hours,
        {{ hours_between('complaints.received_at', 'complaints.resolved_at') }} as resolution_hours,
        resolved_day.working_day_number - received_day.working_day_number as resolution_working_days,
        received_day.working_day_number + standards.resolution_working_days as resolution_due_working_day,
        as_of_day.working_day_number as as_of_working_day
    from complaints
    left join causes
        on complaints.complaint_category = causes.category
    -- Complaints nobody graded (email, social) are held to the general, non-urgent standard.
    left join standards
        on
            coalesce(complaints.severity, 3) = standards.severity
            and coalesce(complaints.complexity, 'general') = standards.complexity
    left join dates as received_day
        on cast(complaints.received_at as date) = received_day.date_day
    left join dates as resolved_day
        on cast(complaints.resolved_at as date) = resolved_day.date_day
    left join dates as as_of_day
        on complaints.as_of_date = as_of_day.date_day

),

final as (

    select
        complaint_id,
        channel,
        complaint_date,
        received_at,
        first_responded_at,
        resolved_at,
        customer_key,
        product,
        region,
        complaint_category,
        is_category_inferred,
        fishbone_cause,
        severity,
        complexity,
        status,
        escalation_level,
        satisfaction_score,
        language_code,
        complaint_text,

        ---------- service-level clocks
        first_response_hours,
        resolution_hours,
        resolution_working_days,
        first_response_standard_hours,
        resolution_standard_working_days,

        ---------- outcome flags
        first_responded_at is not null as has_first_response,
        resolved_at is not null as is_resolved,
        first_response_hours <= first_response_standard_hours as is_first_response_timely,
        -- Resolved: within the standard or not. Unresolved: late once the deadline has passed by the
        -- latest loaded date; null (not yet due) before that, and when the channel has no case status.
        case
            when resolved_at is not null then resolution_working_days <= resolution_standard_working_days
            when status in ('open', 'in_progress') and as_of_working_day > resolution_due_working_day then false
        end as is_resolution_timely,
        satisfaction_score is not null as is_surveyed,
        satisfaction_score >= 4 as is_satisfied,
        escalation_level > 0 as is_escalated,
        -- Effective: resolved and the customer did not score the resolution 1 or 2.
        resolved_at is not null and coalesce(satisfaction_score, 3) >= 3 as is_effectively_resolved,

        ---------- cost
        coalesce(handling_minutes, 0) * {{ var('labour_rate_per_minute') }}
        + coalesce(compensation_amount, 0) as cost_amount

    from clocked

)

select * from final
