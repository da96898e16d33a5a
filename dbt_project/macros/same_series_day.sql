{% macro same_series_day(left, right) -%}
    {{ same_series(left, right) }} and {{ left }}.date_day = {{ right }}.date_day
{%- endmacro %}
