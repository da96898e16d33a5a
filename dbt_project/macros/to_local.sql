{#- A UTC timestamp as local wall-clock time in var local_timezone. -#}
{% macro to_local(utc_column) -%}
    cast((({{ utc_column }}) at time zone 'UTC') at time zone '{{ var("local_timezone") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
