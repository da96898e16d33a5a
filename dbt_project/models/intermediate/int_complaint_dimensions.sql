-- The cuts every KPI and surge series is computed for (macro complaint_dimensions): one row each. A
-- complaint crossed with them gives its row per dimension, and macro dimension_value its value in each.
{% for name in complaint_dimensions() %}
    select '{{ name }}' as dimension_name
    {% if not loop.last %}union all{% endif %}
{% endfor %}
