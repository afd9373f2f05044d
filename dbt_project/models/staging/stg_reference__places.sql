with source as (
    select * from {{ source('reference', 'places') }}
),

renamed as (
    select
        upper({{ clean_text('place_id') }}) as place_id,
        upper({{ clean_text('area_id') }}) as area_id,
        {{ clean_text('place_name') }} as place_name,
        lower({{ clean_text('place_type') }}) as place_type,
        lower({{ clean_text('place_kind') }}) as place_kind,
        geometry_wkt,
        _file_name,
        _loaded_at
    from source
)

select * from renamed
