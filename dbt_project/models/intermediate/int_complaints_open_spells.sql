-- Each complaint's open spells as its versions landed: from a landing date whose latest known state said
-- the complaint was open (open, in progress, reopened) to the next landing date of any of its versions
-- (null: open as far as is known). complaint_backlog_daily counts each day's open book from these, so a
-- daily run ranks the versions of the complaints it rebuilds, not every version of the history.
with

-- The complaints this run rebuilds, with their business date (the key this model is rebuilt by).
rebuilt_complaints as (

    select
        complaint_id,
        complaint_date,
        loaded_at
    from {{ ref('int_complaints_versioned') }}
    where {{ is_rebuilt('complaint_date') }}

),

-- The state each version gave, and until which landing date it was the latest known.
states as (

    select
        versions.complaint_id,
        versions.channel,
        versions.landed_date,
        versions.status,
        lead(versions.landed_date) over (
            partition by versions.complaint_id
            order by versions.landed_date, versions.version_at, versions.source_file, versions.source_position
        ) as next_landed_date,
        row_number() over (
            partition by versions.complaint_id, versions.landed_date
            order by versions.version_at desc, versions.source_file desc, versions.source_position desc
        ) as landed_rank
    from {{ ref('stg_channels__complaints') }} as versions
    inner join rebuilt_complaints
        on versions.complaint_id = rebuilt_complaints.complaint_id
    where versions.version_kind in ('snapshot', 'event') and versions.status is not null

),

final as (

    select
        states.complaint_id,
        states.channel,
        states.landed_date as open_from_date,
        states.next_landed_date as open_until_date,
        rebuilt_complaints.complaint_date,
        rebuilt_complaints.loaded_at
    from states
    inner join rebuilt_complaints
        on states.complaint_id = rebuilt_complaints.complaint_id
    where states.landed_rank = 1 and states.status in ('open', 'in_progress', 'reopened')

)

select * from final
