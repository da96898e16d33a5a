-- The appraisal targets of seed kpi_targets as one row, a column each.
select
    max(case when kpi_name = 'timely_handling_rate' then target_rate end) as timely_handling_target,
    max(case when kpi_name = 'satisfaction_rate' then target_rate end) as satisfaction_target,
    max(case when kpi_name = 'effective_resolution_rate' then target_rate end) as effective_resolution_target,
    max(case when kpi_name = 'analysis_timeliness_rate' then target_rate end) as analysis_timeliness_target
from {{ ref('kpi_targets') }}
