{#- The KPI rates from the counts (the same columns daily and monthly), with each target met or missed. -#}
{% macro kpi_rates(counts, targets) %}
    {{ counts }}.*,
    {{ safe_ratio(counts ~ '.timely_first_response_count', counts ~ '.first_response_due_count') }}
        as timely_first_response_rate,
    {{ safe_ratio(counts ~ '.timely_resolution_count', counts ~ '.resolution_due_count') }} as timely_handling_rate,
    {{ safe_ratio(counts ~ '.satisfied_count', counts ~ '.surveyed_count') }} as satisfaction_rate,
    {{ safe_ratio(counts ~ '.effectively_resolved_count', counts ~ '.resolved_count') }} as effective_resolution_rate,
    {{ safe_ratio(counts ~ '.escalated_count', counts ~ '.complaint_count') }} as escalation_rate,
    {{ safe_ratio(counts ~ '.repeat_count', counts ~ '.complaint_count') }} as repeat_complaint_rate,
    {{ safe_ratio(counts ~ '.reopened_count', counts ~ '.resolved_count') }} as reopen_rate,
    {{ safe_ratio(counts ~ '.first_contact_resolved_count', counts ~ '.resolved_count') }}
        as first_contact_resolution_rate,
    {{ safe_ratio(counts ~ '.total_cost_amount', counts ~ '.complaint_count') }} as cost_per_complaint,
    {{ targets }}.timely_handling_target,
    {{ targets }}.satisfaction_target,
    {{ targets }}.effective_resolution_target,
    {{ safe_ratio(counts ~ '.timely_resolution_count', counts ~ '.resolution_due_count') }}
    >= {{ targets }}.timely_handling_target as is_timely_handling_target_met,
    {{ safe_ratio(counts ~ '.satisfied_count', counts ~ '.surveyed_count') }}
    >= {{ targets }}.satisfaction_target as is_satisfaction_target_met,
    {{ safe_ratio(counts ~ '.effectively_resolved_count', counts ~ '.resolved_count') }}
    >= {{ targets }}.effective_resolution_target as is_effective_resolution_target_met
{% endmacro %}
