{#-
    Does a keyword of seed category_keywords occur in a text: as a whole word or phrase where the language
    separates words (so "late" is not found in "related" or "escalated"), anywhere in Chinese, which does
    not. Both sides lower case. The seed's keywords are letters, digits and spaces (a test checks), so they
    are safe inside a regular expression.
-#}
{% macro keyword_matches(text, keyword, language) -%}
    case
        when {{ language }} = 'zh' then {{ dbt.position(keyword, text) }} > 0
        else {{ word_matches(text, keyword) }}
    end
{%- endmacro %}
