with source as (
    select * from {{ source('reference', 'area_population') }}
),

renamed as (
    select
        upper({{ clean_text('omrades_id') }}) as area_id,
        ar as population_year,
        folkmangd as population,
        _file_name,
        _loaded_at
    from source
)

select * from renamed
