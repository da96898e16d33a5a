{#- A keyword stands in a text as a whole word: between word boundaries, `\b` on DuckDB, `\m` and `\M` on PostgreSQL. -#}
{% macro word_matches(text, keyword) -%}
    {{ return(adapter.dispatch('word_matches')(text, keyword)) }}
{%- endmacro %}

{% macro default__word_matches(text, keyword) -%}
    {{ regex_matches(text, "'\\b' || " ~ keyword ~ " || '\\b'") }}
{%- endmacro %}

{% macro postgres__word_matches(text, keyword) -%}
    {{ regex_matches(text, "'\\m' || " ~ keyword ~ " || '\\M'") }}
{%- endmacro %}
