{#- A local wall-clock time as UTC. -#}
{% macro to_utc(local_column) -%}
    cast((({{ local_column }}) at time zone '{{ var("local_timezone") }}') at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}
