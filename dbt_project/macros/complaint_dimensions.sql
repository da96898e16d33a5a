{#- The cuts every KPI and surge series is computed for: dimension name -> the complaints column. -#}
{% macro complaint_dimensions() -%}
    {{ return({
        'total': "'all'",
        'channel': 'channel',
        'category': 'complaint_category',
        'product': 'product',
        'region': 'region',
    }) }}
{%- endmacro %}
