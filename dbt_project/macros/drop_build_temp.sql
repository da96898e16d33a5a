{% macro drop_build_temp() %}
    {#- Post-hook of every model: an incremental build puts its rows in a temporary table first, which
        dbt-duckdb leaves in place, under a new name each time, until dbt's connection closes: in a daily
        build, until its end. Within DuckDB's memory limit they pile up (a million complaints a day ran a
        later test out of memory); dropped here once the model's rows are in. Other warehouses: nothing. -#}
    {%- if execute and target.type == 'duckdb' and is_incremental() -%}
        {%- set found = run_query(
            "select table_name from duckdb_tables() where temporary and starts_with(table_name, '"
            ~ this.identifier ~ "__dbt_tmp')"
        ) -%}
        {%- for name in found.columns[0].values() %}
            drop table if exists temp.main."{{ name }}";
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
