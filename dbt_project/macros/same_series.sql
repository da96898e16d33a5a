{#- Join conditions of the surge model: the same series (dimension and value), and the same day of it. -#}
{% macro same_series(left, right) -%}
    {{ left }}.dimension_name = {{ right }}.dimension_name and {{ left }}.dimension_value = {{ right }}.dimension_value
{%- endmacro %}
