-- Weekly Pareto of complaints by fishbone cause: share, cumulative share, rank, the vital few.
with

complaints as (

    select * from {{ ref('complaints') }}

),

weekly as (

    select
        cast({{ dbt.date_trunc('week', 'complaint_date') }} as date) as week_start_date,
        fishbone_cause,
        count(*) as complaint_count
    from complaints
    group by 1, 2

),

ranked as (

    select
        week_start_date,
        fishbone_cause,
        complaint_count,
        {{ safe_ratio('complaint_count', 'sum(complaint_count) over (partition by week_start_date)') }}
            as complaint_share,
        row_number() over (
            partition by week_start_date order by complaint_count desc, fishbone_cause asc
        ) as cause_rank
    from weekly

),

cumulated as (

    select
        ranked.*,
        sum(ranked.complaint_share) over (
            partition by ranked.week_start_date
            order by ranked.cause_rank rows between unbounded preceding and current row
        ) as cumulative_share
    from ranked

),

final as (

    select
        week_start_date,
        fishbone_cause,
        complaint_count,
        complaint_share,
        cumulative_share,
        cause_rank,
        -- Vital few: the causes needed to reach 80 % of the week's complaints.
        cumulative_share - complaint_share < 0.8 as is_vital_few
    from cumulated

)

select * from final
