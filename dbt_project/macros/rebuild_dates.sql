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
