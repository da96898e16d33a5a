{#- The measures every weekly Pareto mart publishes from int_complaints_weekly_pareto, in their order. -#}
{% macro pareto_measures() -%}
    {{ return([
        'complaint_count', 'complaint_share', 'cumulative_share', 'pareto_rank', 'is_vital_few',
        'previous_week_count', 'complaint_count_change', 'complaint_share_change', 'loaded_at',
    ]) }}
{%- endmacro %}
