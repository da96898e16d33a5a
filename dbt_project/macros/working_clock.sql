{#- Seconds after midnight of an 'HH:MM' text. -#}
{% macro clock_seconds(hh_mm) -%}
    (cast(substring({{ hh_mm }}, 1, 2) as integer) * 3600 + cast(substring({{ hh_mm }}, 4, 2) as integer) * 60)
{%- endmacro %}

{#- A UTC timestamp as local wall-clock time in var local_timezone. -#}
{% macro to_local(utc_column) -%}
    cast((({{ utc_column }}) at time zone 'UTC') at time zone '{{ var("local_timezone") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A local wall-clock time as UTC. -#}
{% macro to_utc(local_column) -%}
    cast((({{ local_column }}) at time zone '{{ var("local_timezone") }}') at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#-
    The working clock at a local time: working seconds from the calendar's first day up to that moment, on the
    schedule of seed working_schedule with public holidays off. `day` is the alias of the `dates` row of
    the local time's date. The working time between two moments is the difference of their clocks.
-#}
{% macro working_clock(local_column, day) -%}
    ({{ day }}.working_seconds_before + case
        when {{ day }}.is_working_day then least(
            greatest({{ dbt.datediff(dbt.date_trunc('day', local_column), local_column, 'second') }} - {{ day }}.opens_second, 0),
            {{ day }}.working_seconds
        )
        else 0
    end)
{%- endmacro %}
