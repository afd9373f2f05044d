with source as (
    select * from {{ source('partners', 'interventions') }}
),

renamed as (
    select
        {{ clean_text('insats_id') }} as intervention_id,
        beslutsdatum as decided_on,
        upper({{ clean_text('omrades_id') }}) as area_id,
        upper({{ clean_text('plats_id') }}) as place_id,
        {{ clean_text('insatstyp') }} as intervention_type_sv,
        {{ clean_text('ansvarig') }} as responsible_sv,
        -- 'Kommun, Polis' → 'municipality, police' (sorted, so equal sets compare equal).
        {{ est_list_join(est_list_sort_distinct(est_list_transform(
            est_split("coalesce(ansvarig, '')", "','"), 'p', partner_from_swedish('p'))), "', '") }} as responsible_partners,
        -- Names that are none of the three partners (kept for validation, not guessed).
        nullif({{ est_list_join(est_list_filter(
            est_list_transform(est_split("coalesce(ansvarig, '')", "','"), 'p', 'trim(p)'),
            'p', "p <> '' and " ~ partner_from_swedish('p') ~ " is null"), "', '") }}, '') as responsible_unrecognised,
        startdatum as started_on,
        slutdatum as ended_on,
        lower({{ clean_text('intensitet') }}) as intensity_label,
        {{ intensity_from_swedish('intensitet') }} as intensity,
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
