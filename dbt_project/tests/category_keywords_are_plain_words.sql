-- Seed category_keywords' English keywords are lower-case words or phrases of letters and digits: macro
-- keyword_matches puts them inside a regular expression as they are.
select
    keyword,
    language_code
from {{ ref('category_keywords') }}
where
    language_code != 'zh'
    and not {{ regex_matches('keyword', "'^[a-z0-9]+( [a-z0-9]+)*$'") }}
