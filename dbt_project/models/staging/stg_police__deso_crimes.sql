with source as (
    select * from {{ source('police', 'police_deso_crimes') }}
),

renamed as (
    select
        {{ clean_text('id') }} as crime_id,
        {{ clean_text('brottskod') }} as crime_code,
        {{ clean_text('brottskod_klartext') }} as crime_code_text,
        inskrivningsdatum as registered_on,
        brottsdatum as committed_on,
        -- The week a crime belongs to: when it happened, else when it was registered.
        coalesce(brottsdatum, inskrivningsdatum) as event_date,
        {{ clean_text('kommun') }} as municipality_name,
        {{ clean_text('lan') }} as county_name,
        {{ clean_text('deso_omrade') }} as deso_code,
        antal as crime_count,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

select * from renamed
