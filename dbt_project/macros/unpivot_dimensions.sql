{#- One row per complaint and dimension: `relation`'s columns plus dimension_name and dimension_value. -#}
{% macro unpivot_dimensions(relation) %}
    {%- for name, column in complaint_dimensions().items() %}
        select
            '{{ name }}' as dimension_name,
            coalesce({{ column }}, 'unknown') as dimension_value,
            {{ relation }}.*
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endmacro %}
