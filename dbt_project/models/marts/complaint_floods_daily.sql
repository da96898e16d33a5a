-- One row per business date and suspected flood or copy campaign, with the evidence a person checks it by:
-- a flood is one customer's complaints (var flood_min_complaints in 24 hours), a campaign one copy group's
-- near-identical texts from var campaign_min_customers customers or more (int_complaints_screened).
with

-- The suspects' complaints of the dates this run rebuilds (a complaint's 24-hour count looks back a day, a
-- 30-day window further: the dates after a load are rebuilt with it).
screened as (

    select
        screened.*,
        complaints.channel,
        complaints.received_at
    from {{ ref('int_complaints_screened') }} as screened
    inner join {{ ref('int_complaints_categorised') }} as complaints
        on screened.complaint_id = complaints.complaint_id
    where
        (screened.is_suspected_flood or screened.is_suspected_campaign)
        and {{ is_rebuilt('screened.complaint_date', var('repeat_window_days')) }}

),

kinds as (

    select kind_list.suspect_kind
    from (values ('flood'), ('campaign')) as kind_list (suspect_kind)

),

-- Each suspect complaint once per kind it belongs to: a flood is keyed by its customer, a campaign by its copy group.
suspects as (

    select
        screened.complaint_date,
        kinds.suspect_kind,
        screened.complaint_id,
        screened.customer_key,
        screened.channel,
        screened.received_at,
        screened.customer_complaints_24h,
        screened.loaded_at,
        case kinds.suspect_kind when 'flood' then screened.customer_key else screened.copy_group end as suspect_key
    from screened
    inner join kinds
        on
            (kinds.suspect_kind = 'flood' and screened.is_suspected_flood)
            or (kinds.suspect_kind = 'campaign' and screened.is_suspected_campaign)

),

final as (

    select
        complaint_date,
        suspect_kind,
        suspect_key,
        count(*) as complaint_count,
        count(distinct customer_key) as customer_count,
        count(distinct channel) as channel_count,
        min(received_at) as first_received_at,
        max(received_at) as last_received_at,
        {{ dbt.datediff(
            'min(received_at)', 'max(received_at)', 'minute'
        ) }} as span_minutes,
        max(customer_complaints_24h) as max_customer_complaints_24h,
        -- The first complaint, to open the rest from (marts.complaints: suspect_key is its customer_key or
        -- copy_group).
        min(complaint_id) as example_complaint_id,
        -- Counted once by the surge model when var surge_count_suspected_once (the default).
        {{ 'true' if var('surge_count_suspected_once') else 'false' }} as is_counted_once,
        max(loaded_at) as loaded_at
    from suspects
    group by complaint_date, suspect_kind, suspect_key

)

select * from final
