{#- A JSON object's text field (the raw `extra` column), on each warehouse's JSON functions. -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text(column, key) -%}
    (cast({{ column }} as json) ->> '{{ key }}')
{%- endmacro %}

{#-
    Does a keyword of seed category_keywords occur in a text: as a whole word or phrase where the language
    separates words (so "late" is not found in "related" or "escalated"), anywhere in Chinese, which does
    not. Both sides lower case. The seed's keywords are letters, digits and spaces (a test checks), so they
    are safe inside a regular expression.
-#}
{% macro keyword_matches(text, keyword, language) -%}
    case
        when {{ language }} = 'zh' then {{ dbt.position(keyword, text) }} > 0
        else {{ adapter.dispatch('word_matches')(text, keyword) }}
    end
{%- endmacro %}

{% macro default__word_matches(text, keyword) -%}
    {{ regex_matches(text, "'\\b' || " ~ keyword ~ " || '\\b'") }}
{%- endmacro %}

{% macro postgres__word_matches(text, keyword) -%}
    {{ regex_matches(text, "'\\m' || " ~ keyword ~ " || '\\M'") }}
{%- endmacro %}

{#- A text matches a regular expression (RE2 on DuckDB, POSIX ARE on PostgreSQL). -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro postgres__regex_matches(text, pattern) -%}
    ({{ text }} ~ ({{ pattern }}))
{%- endmacro %}
