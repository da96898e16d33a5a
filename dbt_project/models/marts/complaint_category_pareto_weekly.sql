-- Weekly Pareto of complaint categories within each product and each region (computed with the other
-- weekly Paretos in int_complaints_weekly_pareto).
select
    week_start_date,
    scope_name,
    scope_value,
    item_value as complaint_category,
    {{ pareto_measures() | join(',\n    ') }}
from {{ ref('int_complaints_weekly_pareto') }}
where pareto_name = 'category'
