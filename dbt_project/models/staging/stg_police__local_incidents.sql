with source as (
    select * from {{ source('police', 'police_local_incidents') }}
),

renamed as (
    select
        {{ clean_text('handelsenummer') }} as incident_number,
        handelsetid as occurred_at,
        {{ clean_text('brottskod') }} as crime_code,
        {{ clean_text('handelsetyp') }} as incident_type,
        {{ clean_text('plats') }} as place_text,
        ost as east_sweref,
        nord as north_sweref,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

select * from renamed
