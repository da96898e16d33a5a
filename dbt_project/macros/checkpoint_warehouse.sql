{% macro checkpoint_warehouse() %}
    {#- Post-hook of every model, run after its transaction commits: on DuckDB, write what the model changed
        into the file and free the memory it held. One dbt connection builds a whole run; without this, the
        dropped build tables (drop_build_temp) and the replaced rows stay in DuckDB's memory until the
        connection closes, and a later node runs out of the memory limit that a fresh process would not
        (200,000 complaints a day on 30 days, at 500 MB: two unique tests failed after int_complaints_screened;
        run alone, each passed in under a second). DuckDB checkpoints only with no other transaction open:
        the duckdb targets build with one thread. Views change nothing to write; other warehouses: nothing. -#}
    {%- if execute and target.type == 'duckdb' and config.get('materialized') != 'view' -%}
        checkpoint
    {%- endif -%}
{% endmacro %}
