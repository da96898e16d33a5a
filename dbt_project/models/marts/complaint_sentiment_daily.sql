-- Daily negative sentiment for the total and every channel, category, product and region: the share of the
-- day's scored complaints whose text reads negative, and whether it rose. A day's expected negatives = its
-- scored complaints x the series' negative share over the var sentiment_baseline_days before; the count of
-- negatives is scored against that like a complaint count (macro count_z_score) and levelled like a surge
-- (macro surge_levels, with the var sentiment_*_ratio rises: a share can rise at most to 1, so the count's
-- 2.5x would never be reached by a series already half negative).
{%- set baseline_days = var('sentiment_baseline_days') %}
with

{% if is_incremental() -%}
rebuilt as (

    {{ rebuild_dates(baseline_days) }}

),
{%- endif %}

-- The scored complaints of the dates this run rebuilds and of the days their baselines look back on.
scored as (

    select
        complaint_date,
        channel,
        complaint_category,
        product,
        region,
        is_negative,
        loaded_at
    from {{ ref('complaints') }}
    where
        sentiment_label is not null
    {%- if is_incremental() %}
            and complaint_date
            >= (select {{ dbt.dateadd('day', -baseline_days, 'min(rebuild_date)') }} from rebuilt)
            and complaint_date <= (select max(rebuild_date) from rebuilt)
        {%- endif %}

),

dimensioned as (

    select
        scored.*,
        dimensions.dimension_name,
        {{ dimension_value('dimensions.dimension_name') }} as dimension_value
    from scored
    cross join {{ ref('int_complaint_dimensions') }} as dimensions

),

daily as (

    select
        complaint_date,
        dimension_name,
        dimension_value,
        count(*) as scored_count,
        count(case when is_negative then 1 end) as negative_count,
        max(loaded_at) as loaded_at
    from dimensioned
    group by complaint_date, dimension_name, dimension_value

),

-- The series' days before, within the baseline window.
baseline as (

    select
        current_day.complaint_date,
        current_day.dimension_name,
        current_day.dimension_value,
        -- a count stays a whole number on every warehouse (DuckDB sums a bigint into a hugeint)
        cast(sum(past_day.scored_count) as bigint) as baseline_scored_count,
        cast(sum(past_day.negative_count) as bigint) as baseline_negative_count,
        count(*) as baseline_days
    from daily as current_day
    inner join daily as past_day
        on
            current_day.dimension_name = past_day.dimension_name
            and current_day.dimension_value = past_day.dimension_value
            and current_day.complaint_date > past_day.complaint_date
            and past_day.complaint_date >= {{ dbt.dateadd('day', -baseline_days, 'current_day.complaint_date') }}
    group by current_day.complaint_date, current_day.dimension_name, current_day.dimension_value

),

expected as (

    select
        daily.complaint_date,
        daily.dimension_name,
        daily.dimension_value,
        daily.scored_count,
        daily.negative_count,
        cast(daily.negative_count as double precision) / daily.scored_count as negative_share,
        baseline.baseline_days,
        baseline.baseline_scored_count,
        cast(baseline.baseline_negative_count as double precision)
        / nullif(baseline.baseline_scored_count, 0) as baseline_negative_share,
        -- Never below the rule of three's share: a series with no negatives in n scored may still have 3 / n.
        case
            when baseline.baseline_days >= {{ var('surge_min_baseline_days') }}
                then daily.scored_count * greatest(
                    cast(baseline.baseline_negative_count as double precision) / baseline.baseline_scored_count,
                    3.0 / baseline.baseline_scored_count
                )
        end as expected_negative_count,
        daily.loaded_at
    from daily
    left join baseline
        on
            daily.complaint_date = baseline.complaint_date
            and daily.dimension_name = baseline.dimension_name
            and daily.dimension_value = baseline.dimension_value
    {%- if is_incremental() %}
        where daily.complaint_date in (select rebuild_date from rebuilt)
    {%- endif %}

),

scored_rise as (

    select
        *,
        negative_count / expected_negative_count as negative_to_expected_ratio,
        {{ count_z_score('negative_count', 'expected_negative_count') }} as z_score
    from expected

),

final as (

    select
        complaint_date,
        dimension_name,
        dimension_value,
        scored_count,
        negative_count,
        negative_share,
        baseline_days,
        baseline_negative_share,
        expected_negative_count,
        negative_to_expected_ratio,
        z_score,
        -- A day expecting fewer than var sentiment_min_expected negatives is not judged.
        case
            when expected_negative_count >= {{ var('sentiment_min_expected') }}
                then case {{ surge_levels('negative_to_expected_ratio', 'z_score', prefix='sentiment') }} end
        end as sentiment_level,
        loaded_at
    from scored_rise

)

select * from final
