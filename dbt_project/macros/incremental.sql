{#-
    Incremental models rebuild whole business dates: the dates whose complaints changed (a landing date
    loaded, or a complaint date a load changed: stg_pipeline__complaint_date_loads) since the model's newest
    row was built. Every incremental model carries `loaded_at`, the latest load of
    its date, and replaces its rows by delete+insert on its date key (dbt_project.yml).
-#}

{% macro rebuild_dates(following_days=0, preceding_days=0) %}
    {#- A one-column subquery (rebuild_date): the dates loaded after this model was last built, and the
        loaded dates up to following_days after each, whose rows look back at them. With preceding_days, also
        the loaded dates up to that many days before each landing day loaded since: what its export showed
        moved the clocks of their still-open complaints on (int_complaints_clocked). -#}
    {{ loaded_dates_around(ref('stg_pipeline__complaint_date_loads'), 0, following_days) }}
    {%- if preceding_days %}
    union
    {{ loaded_dates_around(ref('stg_pipeline__channel_days'), preceding_days, 0) }}
    {%- endif %}
{% endmacro %}

{% macro loaded_dates_around(changes, preceding_days, following_days) %}
    {#- The loaded dates from preceding_days before to following_days after each date of changes (a relation
        of complaint_date, loaded_at) loaded after this model's newest row was built. -#}
    {%- set watermark -%}
        (select coalesce(max(loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
    {%- endset %}
    {%- set changed_date = 'changed.complaint_date' %}
    select distinct loaded_day.complaint_date as rebuild_date
    from {{ ref('stg_pipeline__complaint_date_loads') }} as loaded_day
    inner join (
        select distinct complaint_date
        from {{ changes }}
        where loaded_at > {{ watermark }}
    ) as changed
        on loaded_day.complaint_date
        between {{ dbt.dateadd('day', -preceding_days, changed_date) if preceding_days else changed_date }}
        and {{ dbt.dateadd('day', following_days, changed_date) if following_days else changed_date }}
{% endmacro %}

{% macro is_rebuilt(date_column, following_days=0, preceding_days=0) -%}
    {#- A filter: the date is one this run rebuilds (every date on a first or full-refresh build). -#}
    {%- if is_incremental() -%}
        {{ date_column }} in ({{ rebuild_dates(following_days, preceding_days) }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{% macro delete_stale_rows(date_column, days=1) %}
    {#- Post-hook: a period loaded again after its rows were built, which this build gave no rows (every
        channel of the day blocked, say), keeps none of its old ones. -#}
    delete from {{ this }} as built
    where exists (
        select 1
        from {{ ref('stg_pipeline__complaint_date_loads') }} as loaded_day
        where
            loaded_day.complaint_date >= built.{{ date_column }}
            and loaded_day.complaint_date < {{ dbt.dateadd('day', days, 'built.' ~ date_column) }}
            and loaded_day.loaded_at > built.loaded_at
    )
{% endmacro %}

{% macro date_loads() %}
    {#- The latest load of each business date, over its channels: the loaded_at its rows carry. -#}
    select
        complaint_date,
        loaded_at
    from {{ ref('stg_pipeline__complaint_date_loads') }}
{% endmacro %}
