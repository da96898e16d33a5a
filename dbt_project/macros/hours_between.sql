{#- Calendar hours from one timestamp to another, as a float; null when either is null. -#}
{% macro hours_between(start_column, end_column) -%}
    cast({{ dbt.datediff(start_column, end_column, 'second') }} as double precision) / 3600
{%- endmacro %}
