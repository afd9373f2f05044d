with source as (
    select * from {{ source('police', 'police_events') }}
),

renamed as (
    select
        id as event_api_id,
        published_at,
        incident_at,
        {{ clean_text('name') }} as title,
        {{ clean_text('summary') }} as summary,
        {{ clean_text('url') }} as url,
        {{ clean_text('type') }} as event_type,
        {{ clean_text('location_name') }} as location_name,
        gps_lat as centroid_lat,
        gps_lon as centroid_lon,
        coalesce(is_summary, false) as is_summary,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

select * from renamed
