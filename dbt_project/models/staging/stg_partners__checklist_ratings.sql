with source as (
    select * from {{ source('partners', 'checklist_ratings') }}
),

renamed as (
    select
        upper({{ clean_text('vecka') }}) as iso_week_label,
        {{ week_start_from_label('upper(trim(vecka))') }} as week_start,
        {{ partner_from_swedish('partner') }} as partner,
        {{ clean_text('partner') }} as partner_sv,
        upper({{ clean_text('omrades_id') }}) as area_id,
        upper({{ clean_text('plats_id') }}) as place_id,
        {{ clean_text('checklistpunkt') }} as checklist_item,
        lower({{ clean_text('bedomning') }}) as rating_colour,
        {{ rating_from_colour('bedomning') }} as rating,
        {{ clean_text('kommentar') }} as comment,
        inskickad as submitted_at,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

select * from renamed
