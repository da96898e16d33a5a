{% macro date_loads() %}
    {#- The latest load of each business date, over its channels: the loaded_at its rows carry. -#}
    select
        complaint_date,
        loaded_at
    from {{ ref('stg_pipeline__complaint_date_loads') }}
{% endmacro %}
