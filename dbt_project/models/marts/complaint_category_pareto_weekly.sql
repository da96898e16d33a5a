-- Weekly Pareto of complaint categories within each product and each region.
with

{{ weekly_complaints() }}

scoped as (

    select
        'product' as scope_name,
        coalesce(product, 'unknown') as scope_value,
        complaint_date,
        complaint_category
    from complaints
    union all
    select
        'region' as scope_name,
        coalesce(region, 'unknown') as scope_value,
        complaint_date,
        complaint_category
    from complaints

),

{{ weekly_pareto('scoped', ['scope_name', 'scope_value'], 'complaint_category') }}
