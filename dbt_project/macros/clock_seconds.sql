{#- Seconds after midnight of an 'HH:MM' text. -#}
{% macro clock_seconds(hh_mm) -%}
    (cast(substring({{ hh_mm }}, 1, 2) as integer) * 3600 + cast(substring({{ hh_mm }}, 4, 2) as integer) * 60)
{%- endmacro %}
