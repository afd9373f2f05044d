with source as (
    select * from {{ source('reference', 'addresses') }}
),

renamed as (
    select
        {{ clean_text('adress') }} as address,
        {{ address_key('adress') }} as address_key,
        {{ clean_text('postnummer') }} as postal_code,
        {{ clean_text('ort') }} as town,
        upper({{ clean_text('plats_id') }}) as place_id,
        upper({{ clean_text('omrades_id') }}) as area_id,
        {{ clean_text('fastighet') }} as property_designation,
        _file_name,
        _loaded_at
    from source
)

select * from renamed
