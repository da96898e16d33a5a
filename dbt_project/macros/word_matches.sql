{% macro default__word_matches(text, keyword) -%}
    {{ regex_matches(text, "'\\b' || " ~ keyword ~ " || '\\b'") }}
{%- endmacro %}

{% macro postgres__word_matches(text, keyword) -%}
    {{ regex_matches(text, "'\\m' || " ~ keyword ~ " || '\\M'") }}
{%- endmacro %}
