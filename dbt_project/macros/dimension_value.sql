{#- A complaint's value in the dimension named by `dimension_name` (a column of int_complaint_dimensions):
    its column's value (complaint_dimensions()), 'unknown' where it has none. -#}
{% macro dimension_value(dimension_name) -%}
    coalesce(case {{ dimension_name }}
        {%- for name, column in complaint_dimensions().items() %}
        when '{{ name }}' then {{ column }}
        {%- endfor %}
    end, 'unknown')
{%- endmacro %}
