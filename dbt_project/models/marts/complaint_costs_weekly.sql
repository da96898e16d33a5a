-- What handling complaints cost per week, channel and stage (registration, investigation, escalation,
-- compensation, follow-up; seed cost_rates), and each stage's share of the week's cost: the expensive stages show
-- (domain.md, cost). Incremental by week: a run rebuilds the weeks of the dates loaded since its last build.
with

{% if is_incremental() -%}
rebuilt_weeks as (

    select distinct cast({{ dbt.date_trunc('week', 'rebuild_date') }} as date) as week_start_date
    from ({{ rebuild_dates() }}) as rebuilt

),
{%- endif %}

complaints as (

    select
        *,
        cast({{ dbt.date_trunc('week', 'complaint_date') }} as date) as week_start_date
    from {{ ref('complaints') }}
    {%- if is_incremental() %}
        where complaint_date >= (select min(week_start_date) from rebuilt_weeks)
    {%- endif %}

),

-- The stages in a complaint's life, in order.
stages as (

    select
        stage_list.cost_stage,
        stage_list.stage_order
    from (
        values ('registration', 1), ('investigation', 2), ('escalation', 3), ('compensation', 4), ('follow_up', 5)
    ) as stage_list (cost_stage, stage_order)

),

-- Each complaint once per stage, with that stage's cost.
staged as (

    select
        complaints.week_start_date,
        complaints.channel,
        stages.cost_stage,
        stages.stage_order,
        complaints.complaint_id,
        complaints.loaded_at,
        case stages.cost_stage
            when 'registration' then complaints.registration_cost
            when 'investigation' then complaints.investigation_cost
            when 'escalation' then complaints.escalation_cost
            when 'compensation' then complaints.compensation_cost
            when 'follow_up' then complaints.follow_up_cost
        end as cost_amount
    from complaints
    cross join stages

),

weekly as (

    select
        week_start_date,
        channel,
        cost_stage,
        stage_order,
        count(*) as complaint_count,
        count(case when cost_amount > 0 then 1 end) as costed_complaint_count,
        sum(cost_amount) as cost_amount,
        max(loaded_at) as loaded_at
    from staged
    group by week_start_date, channel, cost_stage, stage_order

),

final as (

    select
        weekly.week_start_date,
        weekly.channel,
        weekly.cost_stage,
        weekly.stage_order,
        weekly.complaint_count,
        weekly.costed_complaint_count,
        weekly.cost_amount,
        {{ safe_ratio('weekly.cost_amount', 'weekly.complaint_count') }} as cost_per_complaint,
        -- The stage's share of the week's cost over every channel and stage.
        {{ safe_ratio('weekly.cost_amount', 'sum(weekly.cost_amount) over (partition by weekly.week_start_date)') }}
            as week_cost_share,
        weekly.loaded_at
    from weekly
    {%- if is_incremental() %}
        where weekly.week_start_date in (select week_start_date from rebuilt_weeks)
    {%- endif %}

)

select * from final
