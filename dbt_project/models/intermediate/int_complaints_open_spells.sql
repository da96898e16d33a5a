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

-- The state each version gave, and the landing date of the version after it. One window: the latest
-- version of a landing date is the one whose next version landed later (or never), so no second
-- window ranks the versions within a date.
states as (

    select
        versions.complaint_id,
        versions.channel,
        versions.landed_date,
        versions.status,
        rebuilt_complaints.complaint_date,
        rebuilt_complaints.loaded_at,
        lead(versions.landed_date) over (
            partition by versions.complaint_id
            order by versions.landed_date, versions.version_at, versions.source_file, versions.source_position
        ) as next_landed_date
    from {{ ref('stg_channels__complaints') }} as versions
    inner join rebuilt_complaints
        on versions.complaint_id = rebuilt_complaints.complaint_id
    where versions.version_kind in ('snapshot', 'event') and versions.status is not null

),

final as (

    select
        complaint_id,
        channel,
        landed_date as open_from_date,
        next_landed_date as open_until_date,
        complaint_date,
        loaded_at
    from states
    where
        (next_landed_date is null or next_landed_date > landed_date)
        and status in ('open', 'in_progress', 'reopened')

)

select * from final
