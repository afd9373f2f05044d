with source as (
    select * from {{ source('reference', 'area_deso') }}
),

renamed as (
    select
        upper({{ clean_text('omrades_id') }}) as area_id,
        upper({{ clean_text('deso') }}) as deso_code,
        -- Blank: the whole DeSO belongs to the area.
        coalesce(andel, 1.0) as population_share,
        {{ clean_text('omradesnamn') }} as area_name,
        _file_name,
        _loaded_at
    from source
)

select * from renamed
