{% macro is_rebuilt(date_column, following_days=0, preceding_days=0) -%}
    {#- A filter: the date is one this run rebuilds (every date on a first or full-refresh build). -#}
    {%- if is_incremental() -%}
        {{ date_column }} in ({{ rebuild_dates(following_days, preceding_days) }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
