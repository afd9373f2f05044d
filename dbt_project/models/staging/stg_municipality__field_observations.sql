with source as (
    select * from {{ source('municipality', 'field_observations') }}
),

renamed as (
    select
        -- No id in the form: an observation is its content key (date, place, observation
        -- type; ingest's _record_key), so the same observation sent again is one event.
        coalesce(_record_key, _content_hash || ':' || cast(_row_number as varchar)) as observation_id,
        datum as observed_on,
        upper({{ clean_text('plats_id') }}) as place_id,
        {{ clean_text('plats') }} as place_name,
        antal_ungdomar as young_people_count,
        lower({{ clean_text('stamning') }}) as mood,
        {{ rating_from_colour('stamning') }} as mood_rating,
        {{ clean_text('observation') }} as observation_type,
        {{ clean_text('kommentar') }} as comment,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

select * from renamed
