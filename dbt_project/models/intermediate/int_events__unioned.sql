{#- Every area-level event of the four located feeds in one shape (police local incidents,
    municipal fault reports and field observations, housing cases). A record delivered again
    (same record identity, ingest's _record_key: the partner's id, or for field observations
    the date, place and observation type) in any file, under any name or encoding, is kept
    once: the most recently loaded delivery wins, so a corrected record supersedes the old
    one. The events API and the DeSO extract are not here: they are context, never area-level
    events.

    source_event_id is the partner's id as stored; an id that held personal data was masked
    at ingest ("[personnummer]"), so for such an id the record key stands in: two different
    masked ids never become one event. -#}

{%- set masked = est_regexp_contains('{0}', "'\\[(personnummer|telefon|e-post|regnr)\\]'") -%}

with police_local as (
    select
        'police_local' as source,
        'police' as partner,
        case
            when incident_number is null then coalesce(_record_key, _content_hash || ':' || cast(_row_number as varchar))
            when {{ masked.format('incident_number') }} then coalesce(_record_key, incident_number || ':' || _content_hash || ':' || cast(_row_number as varchar))
            else incident_number
        end as source_event_id,
        coalesce(_record_key, incident_number, _content_hash || ':' || cast(_row_number as varchar)) as record_key,
        incident_type as source_type,
        occurred_at as event_at,
        true as has_time_of_day,
        east_sweref as coord_x,
        north_sweref as coord_y,
        'EPSG:3006' as coord_crs,
        cast(null as varchar) as address,
        cast(null as varchar) as property_designation,
        cast(null as varchar) as partner_municipality,
        cast(null as varchar) as reported_place_id,
        _file_name,
        _row_number,
        _loaded_at
    from {{ ref('stg_police__local_incidents') }}
),

fault_reports as (
    select
        'fault_reports' as source,
        'municipality' as partner,
        case
            when case_number is null then coalesce(_record_key, _content_hash || ':' || cast(_row_number as varchar))
            when {{ masked.format('case_number') }} then coalesce(_record_key, case_number || ':' || _content_hash || ':' || cast(_row_number as varchar))
            else case_number
        end as source_event_id,
        coalesce(_record_key, case_number, _content_hash || ':' || cast(_row_number as varchar)) as record_key,
        case_type as source_type,
        registered_at as event_at,
        true as has_time_of_day,
        longitude as coord_x,
        latitude as coord_y,
        'EPSG:4326' as coord_crs,
        address,
        cast(null as varchar) as property_designation,
        municipality as partner_municipality,
        cast(null as varchar) as reported_place_id,
        _file_name,
        _row_number,
        _loaded_at
    from {{ ref('stg_municipality__fault_reports') }}
),

field_observations as (
    select
        'field_observations' as source,
        'municipality' as partner,
        observation_id as source_event_id,
        observation_id as record_key,
        observation_type as source_type,
        -- An evening, not a moment: the date is kept, the time of day is unknown.
        cast(observed_on as timestamp) as event_at,
        false as has_time_of_day,
        cast(null as double) as coord_x,
        cast(null as double) as coord_y,
        cast(null as varchar) as coord_crs,
        cast(null as varchar) as address,
        cast(null as varchar) as property_designation,
        cast(null as varchar) as partner_municipality,
        place_id as reported_place_id,
        _file_name,
        _row_number,
        _loaded_at
    from {{ ref('stg_municipality__field_observations') }}
),

property_incidents as (
    select
        'property_incidents' as source,
        'housing' as partner,
        case
            when case_id is null then coalesce(_record_key, _content_hash || ':' || cast(_row_number as varchar))
            when {{ masked.format('case_id') }} then coalesce(_record_key, case_id || ':' || _content_hash || ':' || cast(_row_number as varchar))
            else case_id
        end as source_event_id,
        coalesce(_record_key, case_id, _content_hash || ':' || cast(_row_number as varchar)) as record_key,
        case_type as source_type,
        occurred_at as event_at,
        true as has_time_of_day,
        cast(null as double) as coord_x,
        cast(null as double) as coord_y,
        cast(null as varchar) as coord_crs,
        address,
        property_designation,
        municipality as partner_municipality,
        cast(null as varchar) as reported_place_id,
        _file_name,
        _row_number,
        _loaded_at
    from {{ ref('stg_housing__property_incidents') }}
),

unioned as (
    select * from police_local
    union all
    select * from fault_reports
    union all
    select * from field_observations
    union all
    select * from property_incidents
),

latest as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by source, record_key
                order by _loaded_at desc, _file_name desc, _row_number desc
            ) as _delivery_rank
        from unioned
    ) as ranked
    where _delivery_rank = 1
)

select
    source || ':' || source_event_id as event_id,
    source,
    partner,
    source_event_id,
    source_type,
    event_at,
    cast(event_at as date) as event_date,
    {{ week_start('event_at') }} as week_start,
    has_time_of_day,
    coord_x,
    coord_y,
    coord_crs,
    address,
    property_designation,
    partner_municipality,
    reported_place_id,
    _file_name,
    _row_number,
    _loaded_at
from latest
