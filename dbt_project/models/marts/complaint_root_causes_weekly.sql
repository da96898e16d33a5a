-- Weekly Pareto of complaints by fishbone cause: share, cumulative share, rank, the vital few, the change
-- (computed with the other weekly Paretos in int_complaints_weekly_pareto).
select
    week_start_date,
    item_value as fishbone_cause,
    {{ pareto_measures() | join(',\n    ') }}
from {{ ref('int_complaints_weekly_pareto') }}
where pareto_name = 'fishbone_cause'
