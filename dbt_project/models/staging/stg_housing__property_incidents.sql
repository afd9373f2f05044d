with source as (
    select * from {{ source('housing', 'property_incidents') }}
),

renamed as (
    select
        {{ clean_text('arende_id') }} as case_id,
        datum as occurred_at,
        {{ clean_text('arendetyp') }} as case_type,
        {{ clean_text('adress') }} as address,
        {{ clean_text('fastighet') }} as property_designation,
        {{ optional_text_column(source('housing', 'property_incidents'), 'kommun') }} as municipality,
        kostnad_kr as cost_sek,
        {{ clean_text('beskrivning') }} as description,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

select * from renamed
