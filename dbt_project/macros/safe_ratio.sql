{#- numerator / denominator as a float, null when the denominator is zero or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0)
{%- endmacro %}
