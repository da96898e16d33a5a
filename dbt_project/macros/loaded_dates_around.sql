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
