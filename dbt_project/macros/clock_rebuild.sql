{#-
    The clock models (int_complaints_clocked, the complaints mart) rebuild by complaint, not by whole date:
    every complaint of the dates whose complaints changed since the model's last build (rebuild_dates), and
    on the clock_days before each landing day loaded since, only the complaints whose clocks still run: what
    their channel's new export shows moves their snapshot on. A complaint whose clocks stopped keeps its
    row, which nothing of a later export changes (its snapshot is its own: int_complaints_clocked). They
    replace their rows by delete+insert on complaint_id (dbt_project.yml).
-#}

{% macro is_clock_running(relation='') %}
    {#- A tracked complaint (a case status) still unanswered or unresolved. -#}
    {%- set column = (relation ~ '.') if relation else '' -%}
    ({{ column }}status is not null and ({{ column }}first_responded_at is null or {{ column }}resolved_at is null))
{%- endmacro %}

{% macro clock_dates() %}
    {#- A one-column subquery (rebuild_date): the loaded dates up to clock_days before each landing day loaded
        since this model was last built. -#}
    {{ loaded_dates_around(ref('stg_pipeline__channel_days'), var('clock_days'), 0) }}
{%- endmacro %}

{% macro is_rebuilt_by_clock(date_column='complaint_date', relation='') %}
    {#- A filter: the complaint is one this run rebuilds (every complaint on a first or full-refresh build). -#}
    {%- if is_incremental() -%}
        ({{ date_column }} in ({{ rebuild_dates() }})
        or {{ is_clock_running(relation) }} and {{ date_column }} in ({{ clock_dates() }}))
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
