with source as (
    select * from {{ source('reference', 'area_deso') }}
),

renamed as (
    select
        upper({{ clean_text('omrades_id') }}) as area_id,
        upper({{ clean_text('deso') }}) as deso_code,
        andel as population_share,
        _file_name,
        _loaded_at
    from source
)

select * from renamed
