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
