{#-
    A weekly Pareto from `complaints` (the fact's rows of the weeks wanted and the week before them):
    per week and `scope_columns`, each `item_column` value's count, share, cumulative share, rank, the
    vital few (the items needed to reach 80 % of the scope's complaints) and the change from the week
    before. Only the weeks this run rebuilds are kept.
-#}
{% macro weekly_pareto(complaints, scope_columns, item_column) %}
    {%- set scope = scope_columns | join(', ') ~ (', ' if scope_columns else '') %}
    {%- set partition = ['week_start_date'] + scope_columns %}

weekly as (

    select
        cast({{ dbt.date_trunc('week', 'complaint_date') }} as date) as week_start_date,
        {{ scope }}
        coalesce({{ item_column }}, 'unknown') as {{ item_column }},
        count(*) as complaint_count
    from {{ complaints }}
    group by {% for n in range(scope_columns | length + 2) %}{{ n + 1 }}{{ ', ' if not loop.last }}{% endfor %}

),

ranked as (

    select
        *,
        {{ safe_ratio('complaint_count', 'sum(complaint_count) over (partition by ' ~ partition | join(', ') ~ ')') }}
            as complaint_share,
        row_number() over (
            partition by {{ partition | join(', ') }} order by complaint_count desc, {{ item_column }} asc
        ) as pareto_rank
    from weekly

),

cumulated as (

    select
        *,
        sum(complaint_share) over (
            partition by {{ partition | join(', ') }}
            order by pareto_rank rows between unbounded preceding and current row
        ) as cumulative_share
    from ranked

),

week_loads as (

    select
        cast({{ dbt.date_trunc('week', 'complaint_date') }} as date) as week_start_date,
        max(loaded_at) as loaded_at
    from {{ ref('stg_pipeline__complaint_date_loads') }}
    group by 1

),

final as (

    select
        this_week.week_start_date,
        {% for column in scope_columns %}this_week.{{ column }},{% endfor %}
        this_week.{{ item_column }},
        this_week.complaint_count,
        this_week.complaint_share,
        this_week.cumulative_share,
        this_week.pareto_rank,
        -- Vital few: the items needed to reach 80 % of the week's complaints.
        this_week.cumulative_share - this_week.complaint_share < 0.8 as is_vital_few,
        coalesce(last_week.complaint_count, 0) as previous_week_count,
        this_week.complaint_count - coalesce(last_week.complaint_count, 0) as complaint_count_change,
        this_week.complaint_share - coalesce(last_week.complaint_share, 0) as complaint_share_change,
        week_loads.loaded_at
    from cumulated as this_week
    inner join week_loads
        on this_week.week_start_date = week_loads.week_start_date
    left join cumulated as last_week
        on
            last_week.week_start_date = {{ dbt.dateadd('day', -7, 'this_week.week_start_date') }}
            {% for column in scope_columns %}and this_week.{{ column }} = last_week.{{ column }}
            {% endfor -%}
            and this_week.{{ item_column }} = last_week.{{ item_column }}
    {%- if is_incremental() %}
        where this_week.week_start_date in (select week_start_date from rebuilt_weeks)
    {%- endif %}

)

select * from final
{% endmacro %}
