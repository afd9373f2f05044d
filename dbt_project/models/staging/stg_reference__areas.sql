with source as (
    select * from {{ source('reference', 'areas') }}
),

renamed as (
    select
        upper({{ clean_text('area_id') }}) as area_id,
        {{ clean_text('area_name') }} as area_name,
        {{ clean_text('municipality_code') }} as municipality_code,
        {{ clean_text('municipality_name') }} as municipality_name,
        geometry_wkt,
        _file_name,
        _loaded_at
    from source
)

select * from renamed
