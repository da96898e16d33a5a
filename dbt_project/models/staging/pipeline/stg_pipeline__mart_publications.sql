with

source as (

    select * from {{ source('pipeline', 'mart_publications') }}

),

-- A date republished (a rerun) keeps the time it was first published.
first_published as (

    select
        business_date as complaint_date,
        min(published_at) as published_at
    from source
    group by 1

),

renamed as (

    select
        complaint_date,
        published_at,
        {{ to_local('published_at') }}
        <= {{ dbt.dateadd(
            'hour',
            24 + var('analysis_deadline_hour'),
            'cast(complaint_date as ' ~ dbt.type_timestamp() ~ ')'
        ) }} as is_published_on_time
    from first_published

)

select * from renamed
