-- Daily service KPIs per channel, with the appraisal targets and whether each was met. A channel
-- whose day the quality gate blocked has a row with no complaints, flagged is_channel_missing.
with

complaints as (

    select * from {{ ref('complaints') }}

),

channel_days as (

    select * from {{ ref('stg_pipeline__channel_days') }}

),

spine as (

    select
        complaint_date,
        channel
    from complaints
    union
    select
        complaint_date,
        channel
    from channel_days
    where is_blocked

),

targets as (

    select * from {{ ref('kpi_targets') }}

),

daily as (

    select
        spine.complaint_date,
        spine.channel,
        count(complaints.complaint_id) as complaint_count,
        sum(case when complaints.has_first_response then 1 else 0 end) as first_responded_count,
        sum(case when complaints.is_resolved then 1 else 0 end) as resolved_count,
        sum(case when complaints.is_surveyed then 1 else 0 end) as surveyed_count,
        sum(case when complaints.is_first_response_timely then 1 else 0 end) as timely_first_response_count,
        sum(case when complaints.is_resolution_timely is not null then 1 else 0 end) as resolution_due_count,
        sum(case when complaints.is_resolution_timely then 1 else 0 end) as timely_resolution_count,
        sum(case when complaints.is_satisfied then 1 else 0 end) as satisfied_count,
        sum(case when complaints.is_effectively_resolved then 1 else 0 end) as effectively_resolved_count,
        sum(case when complaints.is_escalated then 1 else 0 end) as escalated_count,
        avg(complaints.first_response_hours) as avg_first_response_hours,
        avg(complaints.resolution_hours) as avg_resolution_hours,
        avg(complaints.satisfaction_score) as avg_satisfaction_score,
        sum(complaints.cost_amount) as total_cost_amount
    from spine
    left join complaints
        on spine.complaint_date = complaints.complaint_date and spine.channel = complaints.channel
    group by 1, 2

),

targets_wide as (

    select
        max(case when kpi_name = 'timely_handling_rate' then target_rate end) as timely_handling_target,
        max(case when kpi_name = 'satisfaction_rate' then target_rate end) as satisfaction_target,
        max(case when kpi_name = 'effective_resolution_rate' then target_rate end) as effective_resolution_target
    from targets

),

rates as (

    select
        daily.*,
        {{ safe_ratio('timely_first_response_count', 'first_responded_count') }} as timely_first_response_rate,
        -- Timely handling: of the complaints due (resolved, or unresolved past their deadline),
        -- the share resolved within their standard.
        {{ safe_ratio('timely_resolution_count', 'resolution_due_count') }} as timely_handling_rate,
        {{ safe_ratio('satisfied_count', 'surveyed_count') }} as satisfaction_rate,
        {{ safe_ratio('effectively_resolved_count', 'resolved_count') }} as effective_resolution_rate,
        {{ safe_ratio('escalated_count', 'complaint_count') }} as escalation_rate,
        {{ safe_ratio('total_cost_amount', 'complaint_count') }} as cost_per_complaint
    from daily

),

final as (

    select
        rates.*,
        channel_days.gate_messages as quality_gate_messages,
        targets_wide.timely_handling_target,
        targets_wide.satisfaction_target,
        targets_wide.effective_resolution_target,
        coalesce(channel_days.is_blocked, false) as is_channel_missing,
        rates.timely_handling_rate >= targets_wide.timely_handling_target as is_timely_handling_target_met,
        rates.satisfaction_rate >= targets_wide.satisfaction_target as is_satisfaction_target_met,
        rates.effective_resolution_rate >= targets_wide.effective_resolution_target
            as is_effective_resolution_target_met
    from rates
    cross join targets_wide
    left join channel_days
        on rates.complaint_date = channel_days.complaint_date and rates.channel = channel_days.channel

)

select * from final
