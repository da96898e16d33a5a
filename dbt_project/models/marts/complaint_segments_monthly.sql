-- Every KPI per month and customer segment (marts.customer_segments; `unknown` for customers the CRM does not
-- know): are high-value customers' complaints handled within the standard? Rebuilt whole each run (a month's
-- complaints change as their versions land).
with

complaints as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'complaint_date') }} as date) as month_start_date
    from {{ ref('complaints') }}

),

targets as (

    select * from {{ ref('int_kpi_targets') }}

),

counts as (

    select
        month_start_date,
        customer_segment,
        count(*) as complaint_count,
        count(case when is_resolved then 1 end) as resolved_count,
        count(case when is_first_response_timely is not null then 1 end) as first_response_due_count,
        count(case when is_first_response_timely then 1 end) as timely_first_response_count,
        count(case when is_resolution_timely is not null then 1 end) as resolution_due_count,
        count(case when is_resolution_timely then 1 end) as timely_resolution_count,
        count(case when is_surveyed then 1 end) as surveyed_count,
        count(case when is_satisfied then 1 end) as satisfied_count,
        count(case when is_effectively_resolved then 1 end) as effectively_resolved_count,
        count(case when is_escalated then 1 end) as escalated_count,
        count(case when is_repeat then 1 end) as repeat_count,
        count(case when is_reopened then 1 end) as reopened_count,
        count(case when is_first_contact_resolution then 1 end) as first_contact_resolved_count,
        coalesce(sum(cost_amount), 0) as total_cost_amount,
        avg(priority_score) as avg_priority_score,
        avg(resolution_working_hours) as avg_resolution_working_hours
    from complaints
    group by month_start_date, customer_segment

),

final as (

    select {{ kpi_rates('counts', 'targets') }}
    from counts
    cross join targets

)

select * from final
