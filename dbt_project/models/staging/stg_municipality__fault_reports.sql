with source as (
    select * from {{ source('municipality', 'fault_reports') }}
),

renamed as (
    select
        {{ clean_text('arendenummer') }} as case_number,
        registrerad as registered_at,
        {{ clean_text('arendetyp') }} as case_type,
        {{ clean_text('beskrivning') }} as description,
        {{ clean_text('adress') }} as address,
        {{ optional_text_column(source('municipality', 'fault_reports'), 'kommun') }} as municipality,
        latitud as latitude,
        longitud as longitude,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

select * from renamed
