-- The first and the last complaint date loaded (both null before any load): what the calendar must cover.
select
    min(complaint_date) as first_date,
    max(complaint_date) as last_date
from {{ ref('stg_pipeline__complaint_date_loads') }}
