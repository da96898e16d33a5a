-- All channels' staged complaints in one relation.
{% set channels = ['phone', 'email', 'web', 'social'] %}

with

{% for channel in channels %}
    {{ channel }} as (

        select * from {{ ref('stg_' ~ channel ~ '__complaints') }}

    ),
{% endfor %}

unioned as (

    {% for channel in channels %}
        select * from {{ channel }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
