{#- Calendar hours from one timestamp to another, as a float; null when either is null. -#}
{% macro hours_between(start_column, end_column) -%}
    {{ dbt.datediff(start_column, end_column, 'second') }} / 3600.0
{%- endmacro %}
