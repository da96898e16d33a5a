-- The display names of seed code_display_names, published with the marts for the report, the alert email and
-- BI tools.
select
    kind,
    code,
    label_en,
    label_zh
from {{ ref('code_display_names') }}
