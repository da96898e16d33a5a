{% macro joins_as_written(on=true) %}
    {#- A pre-hook (on) and post-hook (off) for a model whose joins name the narrow side last: DuckDB then builds
        each join's hash table from that side, as written, instead of from the side it guesses smaller. Where a
        filter of subqueries leaves its guess a hundred times too low, it builds from the wide rebuilt rows and
        spills them (marts.complaints at 100,000 a day: 24 s and 10 GB spilled, against 7 s). Nothing on
        PostgreSQL. -#}
    {%- if target.type == 'duckdb' -%}
        {{ "set disabled_optimizers = 'build_side_probe_side'" if on else "reset disabled_optimizers" }}
    {%- endif -%}
{% endmacro %}
