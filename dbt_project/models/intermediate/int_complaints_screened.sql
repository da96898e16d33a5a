-- One row per complaint: how many complaints its customer made in the 24 hours and the 30 days up to it, its
-- copy group (plugins/complaints_pipeline/copies.py), and whether it belongs to a suspected flood (one customer's
-- many complaints at once) or copy campaign (one text from many customers on one day). Such complaints are still
-- handled; the surge model counts each flood and campaign of a day once (var surge_count_suspected_once).
{%- set lookback = var('repeat_window_days') %}
with

{% if is_incremental() -%}
rebuilt as (

    {{ rebuild_dates(lookback) }}

),
{%- endif %}

-- The dates this run rebuilds, and the days their 30-day counts look back on (and one: received_at is UTC).
complaints as (

    select
        complaint_id,
        complaint_date,
        received_at,
        customer_key,
        complaint_text,
        loaded_at
    from {{ ref('int_complaints_categorised') }}
    {%- if is_incremental() %}
        where
            complaint_date >= (select {{ dbt.dateadd('day', -lookback - 1, 'min(rebuild_date)') }} from rebuilt)
            and complaint_date <= (select max(rebuild_date) from rebuilt)
    {%- endif %}

),

copies as (

    select * from {{ source('pipeline', 'text_copies') }}

),

counted as (

    select
        complaints.complaint_id,
        complaints.complaint_date,
        complaints.received_at,
        complaints.customer_key,
        copies.copy_group,
        -- Including the complaint itself, and any the customer made at the same moment.
        case when complaints.customer_key is not null then count(*) over (
            partition by complaints.customer_key order by complaints.received_at
            range between interval '24 hours' preceding and current row
        ) end as customer_complaints_24h,
        case when complaints.customer_key is not null then count(*) over (
            partition by complaints.customer_key order by complaints.received_at
            range between interval '{{ lookback }} days' preceding and current row
        ) end as customer_complaints_30d,
        complaints.loaded_at
    from complaints
    left join copies
        on md5(complaints.complaint_text) = copies.text_hash

),

-- A customer's day is a flood when, at some complaint of it, they had made var flood_min_complaints in 24 hours.
floods as (

    select
        customer_key,
        complaint_date
    from counted
    where
        customer_key is not null
    {%- if is_incremental() %}
        and complaint_date in (select rebuild_date from rebuilt)
    {%- endif %}
    group by customer_key, complaint_date
    having max(customer_complaints_24h) >= {{ var('flood_min_complaints') }}

),

-- Each copy group's different customers per day.
group_days as (

    select
        copy_group,
        complaint_date,
        count(distinct customer_key) as customer_count
    from counted
    where copy_group is not null
    group by copy_group, complaint_date

),

-- A copy group's day is a campaign when var campaign_min_customers different customers sent it, and at least
-- var campaign_burst_ratio times as many as it had on an average day of the var campaign_baseline_days before, plus
-- one: copies arrive together. Texts many customers write alike every day ("My phone is broken after two weeks.")
-- are no campaign.
campaigns as (

    select
        current_day.copy_group,
        current_day.complaint_date
    from group_days as current_day
    left join group_days as past_day
        on
            current_day.copy_group = past_day.copy_group
            and current_day.complaint_date > past_day.complaint_date
            and past_day.complaint_date
            >= {{ dbt.dateadd('day', -var('campaign_baseline_days'), 'current_day.complaint_date') }}
    group by current_day.copy_group, current_day.complaint_date, current_day.customer_count
    having
        current_day.customer_count >= {{ var('campaign_min_customers') }}
        and current_day.customer_count >= {{ var('campaign_burst_ratio') }} * (
            coalesce(sum(past_day.customer_count), 0) / {{ var('campaign_baseline_days') }}.0 + 1
        )

),

flagged as (

    select
        counted.*,
        floods.customer_key is not null as is_suspected_flood,
        campaigns.copy_group is not null as is_suspected_campaign,
        row_number() over (
            partition by counted.customer_key, counted.complaint_date
            order by counted.received_at, counted.complaint_id
        ) as customer_day_rank,
        row_number() over (
            partition by counted.copy_group, counted.complaint_date
            order by counted.received_at, counted.complaint_id
        ) as copy_day_rank
    from counted
    left join floods
        on
            counted.customer_key = floods.customer_key
            and counted.complaint_date = floods.complaint_date
    left join campaigns
        on
            counted.copy_group = campaigns.copy_group
            and counted.complaint_date = campaigns.complaint_date
    {%- if is_incremental() %}
        -- The rebuilt dates only, before the ranks: each rank looks at one date. Ranking every complaint the
        -- 30-day counts read (the whole history, on 30 days) and keeping a day of them took twice as long.
        where counted.complaint_date in (select rebuild_date from rebuilt)
    {%- endif %}

),

final as (

    select
        complaint_id,
        complaint_date,
        customer_key,
        customer_complaints_24h,
        customer_complaints_30d,
        copy_group,
        is_suspected_flood,
        is_suspected_campaign,
        -- The first complaint of a day's flood or campaign counts; with var surge_count_suspected_once false,
        -- every complaint does.
        {%- if var('surge_count_suspected_once') %}
            not (is_suspected_flood and customer_day_rank > 1)
            and not (is_suspected_campaign and copy_day_rank > 1)
        {%- else %}
            true
        {%- endif %} as is_surge_counted,
        loaded_at
    from flagged

)

select * from final
