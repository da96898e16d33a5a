{#- The combination of columns is unique (written here: no dbt deps on this project's machines).

    loaded_since_publication (a column of the model: when each row was loaded): check only the combinations
    some row loaded since the marts were last published has, the last build whose every test passed; the rows
    loaded before were checked by it. A duplicate needs a new row, so none is missed, and a daily run does not
    group every version of the history: at a million complaints a day on 30 days, 64.7 million versions did not
    fit DuckDB's 1 GB. A first build, or one after failed builds only, checks every row loaded since. -#}
{% test unique_combination(model, columns, loaded_since_publication=none) %}
select {{ columns | join(', ') }}, count(*) as row_count
from {{ model }} as checked
{%- if loaded_since_publication %}
where exists (
    select 1
    from {{ model }} as loaded
    where
        loaded.{{ loaded_since_publication }} > (
            select coalesce(max(published_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            from {{ source('pipeline', 'mart_publications') }}
        )
        {%- for column in columns %}
        and loaded.{{ column }} = checked.{{ column }}
        {%- endfor %}
)
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
