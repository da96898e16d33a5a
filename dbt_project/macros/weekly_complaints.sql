{#- CTE: the weeks this run rebuilds (those of the dates loaded since the last build, and the week after,
    whose change from the week before moves with them), and the fact's rows from the week before them on. -#}
{% macro weekly_complaints() %}
{% if is_incremental() -%}
rebuilt_weeks as (

    select distinct cast({{ dbt.date_trunc('week', 'rebuild_date') }} as date) as week_start_date
    from ({{ rebuild_dates(7) }}) as rebuilt

),
{%- endif %}

complaints as (

    select * from {{ ref('complaints') }}
    {%- if is_incremental() %}
        where complaint_date >= (select {{ dbt.dateadd('day', -7, 'min(week_start_date)') }} from rebuilt_weeks)
    {%- endif %}

),
{% endmacro %}
