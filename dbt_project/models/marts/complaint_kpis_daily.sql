-- Daily service KPIs per channel, with the appraisal targets and whether each was met.
with

complaints as (

    select * from {{ ref('complaints') }}

),

targets as (

    select * from {{ ref('kpi_targets') }}

),

daily as (

    select
        complaint_date,
        channel,
        count(*) as complaint_count,
        sum(case when has_first_response then 1 else 0 end) as first_responded_count,
        sum(case when is_resolved then 1 else 0 end) as resolved_count,
        sum(case when is_surveyed then 1 else 0 end) as surveyed_count,
        sum(case when is_first_response_timely then 1 else 0 end) as timely_first_response_count,
        sum(case when is_resolution_timely is not null then 1 else 0 end) as resolution_due_count,
        sum(case when is_resolution_timely then 1 else 0 end) as timely_resolution_count,
        sum(case when is_satisfied then 1 else 0 end) as satisfied_count,
        sum(case when is_effectively_resolved then 1 else 0 end) as effectively_resolved_count,
        sum(case when is_escalated then 1 else 0 end) as escalated_count,
        avg(first_response_hours) as avg_first_response_hours,
        avg(resolution_hours) as avg_resolution_hours,
        avg(satisfaction_score) as avg_satisfaction_score,
        sum(cost_amount) as total_cost_amount
    from complaints
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
        targets_wide.timely_handling_target,
        targets_wide.satisfaction_target,
        targets_wide.effective_resolution_target,
        rates.timely_handling_rate >= targets_wide.timely_handling_target as is_timely_handling_target_met,
        rates.satisfaction_rate >= targets_wide.satisfaction_target as is_satisfaction_target_met,
        rates.effective_resolution_rate >= targets_wide.effective_resolution_target
            as is_effective_resolution_target_met
    from rates
    cross join targets_wide

)

select * from final
