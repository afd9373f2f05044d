with source as (
    select * from {{ source('reference', 'deso_population') }}
),

renamed as (
    select
        upper({{ clean_text('deso') }}) as deso_code,
        ar as population_year,
        folkmangd as population,
        _file_name,
        _loaded_at
    from source
)

select * from renamed
