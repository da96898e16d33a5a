-- One row per customer of the CRM's newest export: recency, frequency and monetary value (RFM), each scored 1-5 by
-- where the customer stands among all (5: the most recent, most frequent, biggest spenders; ties score alike), the
-- segment those scores put them in, and a value score for the complaints' priority.
with

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

measured as (

    select
        customer_key,
        first_purchase_date,
        last_purchase_date,
        order_count,
        spend_amount,
        export_date,
        {{ dbt.datediff(
            'last_purchase_date', 'export_date', 'day'
        ) }} as recency_days
    from customers

),

-- A score is the customer's fifth of the ranking, counted with everyone tied with them (cume_dist), so equal
-- customers score alike on every warehouse.
scored as (

    select
        *,
        cast(ceil(5 * cume_dist() over (order by recency_days desc)) as integer) as recency_score,
        cast(ceil(5 * cume_dist() over (order by order_count)) as integer) as frequency_score,
        cast(ceil(5 * cume_dist() over (order by spend_amount)) as integer) as monetary_score
    from measured

),

final as (

    select
        customer_key,
        first_purchase_date,
        last_purchase_date,
        order_count,
        spend_amount,
        export_date,
        recency_days,
        recency_score,
        frequency_score,
        monetary_score,
        cast(recency_score as varchar) || cast(frequency_score as varchar) || cast(monetary_score as varchar)
            as rfm_code,
        -- The first that applies, in this order.
        case
            when recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4 then 'champions'
            when recency_score <= 2 and frequency_score >= 3 then 'at_risk'
            when frequency_score >= 4 then 'loyal'
            when monetary_score = 5 then 'big_spenders'
            when recency_score >= 4 and frequency_score <= 2 then 'new'
            when recency_score <= 2 and frequency_score <= 2 then 'hibernating'
            else 'needs_attention'
        end as customer_segment,
        cast(recency_score + frequency_score + monetary_score as double precision) / 15 as customer_value_score
    from scored

)

select * from final
