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
