-- Every weekly Pareto the marts publish, in one relation: per week and Pareto (pareto_name: fishbone_cause over
-- all complaints; category within each product and within each region), each item's count, share, cumulative
-- share, rank, the vital few (the items needed to reach 80 % of the scope's complaints) and the change from
-- the week before. Incremental by week: a run rebuilds the weeks of the dates loaded since its last build,
-- and the week after each, whose change from the week before moves with them.
with

{% if is_incremental() -%}
rebuilt_weeks as (

    select distinct cast({{ dbt.date_trunc('week', 'rebuild_date') }} as date) as week_start_date
    from ({{ rebuild_dates(7) }}) as rebuilt

),
{%- endif %}

-- The fact's rows of the rebuilt weeks and of the week before them.
complaints as (

    select * from {{ ref('complaints') }}
    {%- if is_incremental() %}
        where complaint_date >= (select {{ dbt.dateadd('day', -7, 'min(week_start_date)') }} from rebuilt_weeks)
    {%- endif %}

),

-- Each complaint once per Pareto it counts in, with the scope it is counted within.
scoped as (

    select
        'fishbone_cause' as pareto_name,
        'all' as scope_name,
        'all' as scope_value,
        complaint_date,
        fishbone_cause as item_value
    from complaints
    union all
    select
        'category' as pareto_name,
        'product' as scope_name,
        product as scope_value,
        complaint_date,
        complaint_category as item_value
    from complaints
    union all
    select
        'category' as pareto_name,
        'region' as scope_name,
        region as scope_value,
        complaint_date,
        complaint_category as item_value
    from complaints

),

weekly as (

    select
        cast({{ dbt.date_trunc('week', 'complaint_date') }} as date) as week_start_date,
        pareto_name,
        scope_name,
        coalesce(scope_value, 'unknown') as scope_value,
        coalesce(item_value, 'unknown') as item_value,
        count(*) as complaint_count
    from scoped
    group by
        cast({{ dbt.date_trunc('week', 'complaint_date') }} as date),
        pareto_name,
        scope_name,
        coalesce(scope_value, 'unknown'),
        coalesce(item_value, 'unknown')

),

ranked as (

    select
        *,
        {{ safe_ratio('complaint_count', 'sum(complaint_count) over same_scope') }} as complaint_share,
        row_number() over (same_scope order by complaint_count desc, item_value asc) as pareto_rank
    from weekly
    window same_scope as (partition by week_start_date, pareto_name, scope_name, scope_value)

),

cumulated as (

    select
        *,
        sum(complaint_share) over (
            partition by week_start_date, pareto_name, scope_name, scope_value
            order by pareto_rank rows between unbounded preceding and current row
        ) as cumulative_share
    from ranked

),

week_loads as (

    select
        cast({{ dbt.date_trunc('week', 'complaint_date') }} as date) as week_start_date,
        max(loaded_at) as loaded_at
    from {{ ref('stg_pipeline__complaint_date_loads') }}
    group by cast({{ dbt.date_trunc('week', 'complaint_date') }} as date)

),

final as (

    select
        this_week.week_start_date,
        this_week.pareto_name,
        this_week.scope_name,
        this_week.scope_value,
        this_week.item_value,
        this_week.complaint_count,
        this_week.complaint_share,
        this_week.cumulative_share,
        this_week.pareto_rank,
        week_loads.loaded_at,
        -- Vital few: the items needed to reach 80 % of the week's complaints.
        this_week.cumulative_share - this_week.complaint_share < 0.8 as is_vital_few,
        coalesce(last_week.complaint_count, 0) as previous_week_count,
        this_week.complaint_count - coalesce(last_week.complaint_count, 0) as complaint_count_change,
        this_week.complaint_share - coalesce(last_week.complaint_share, 0) as complaint_share_change
    from cumulated as this_week
    inner join week_loads
        on this_week.week_start_date = week_loads.week_start_date
    left join cumulated as last_week
        on
            last_week.week_start_date = {{ dbt.dateadd('day', -7, 'this_week.week_start_date') }}
            and this_week.pareto_name = last_week.pareto_name
            and this_week.scope_name = last_week.scope_name
            and this_week.scope_value = last_week.scope_value
            and this_week.item_value = last_week.item_value
    {%- if is_incremental() %}
        where this_week.week_start_date in (select week_start_date from rebuilt_weeks)
    {%- endif %}

)

select * from final
