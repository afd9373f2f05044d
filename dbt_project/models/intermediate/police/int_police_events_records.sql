{#- Every delivered record of the police's public events API, with its identity and where it
    belongs. The API's `id` is the identity: the fetcher stores overlapping responses, so the
    same event arrives in many files and only its latest delivery is current.

    The events API locates an event only to a municipality's or county's centroid (since
    2026 the county), never to a place: its events are a background in the weekly report
    and are counted in marts.police_records_not_in_areas, never per area. The location name
    is matched to a municipality first ("Örebro", "Örebro kommun"; located_to =
    'municipality'), else to a county of the municipalities seed ("Skåne län", "skåne län",
    "Skåne"; located_to = 'county'). county_code is the event's county either way: for a
    municipality the first two digits of its code. A name ending in "län" that names no
    county of the seed is located to a county too, keeps its name in county_name and has no
    county_code. -#}

with staged as (
    select
        *,
        row_number() over (
            partition by event_api_id
            order by _loaded_at desc, _file_name desc, _row_number desc
        ) as delivery_rank
    from {{ ref('stg_police__events') }}
),

name_keys as (
    {{ municipality_name_keys() }}
),

county_keys as (
    select distinct county_code, county_name, {{ county_key('county_name') }} as county_key
    from {{ ref('municipalities') }}
    where county_name is not null
),

placed as (
    select
        s.*,
        (
            select min(k.municipality_code)
            from name_keys as k
            where {{ municipality_key('s.location_name') }} in (k.name_key, k.name_key || 's')
        ) as municipality_code,
        (
            select min(c.county_code)
            from county_keys as c
            where c.county_key in ({{ county_key('s.location_name') }}, {{ county_key('s.location_name') }} || 's')
        ) as named_county_code,
        coalesce(s.incident_at, cast(s.published_at as timestamp)) as event_at
    from staged as s
),

located as (
    select
        p.*,
        case
            when p.municipality_code is not null then 'municipality'
            when p.named_county_code is not null or lower(p.location_name) like '% län' then 'county'
        end as located_to,
        case
            when p.municipality_code is not null then substr(p.municipality_code, 1, 2)
            else p.named_county_code
        end as county_code
    from placed as p
)

select
    p.event_api_id,
    p.delivery_rank = 1 as is_current,
    p.event_type,
    case when p.is_summary then 'summary' else d.decision end as decision,
    d.category,
    p.is_summary,
    p.title,
    p.published_at,
    p.event_at,
    cast(p.event_at as date) as event_date,
    {{ week_start('p.event_at') }} as week_start,
    p.location_name,
    p.located_to,
    p.municipality_code,
    m.municipality_code is not null as is_own_municipality,
    p.county_code,
    case when p.located_to = 'county' then coalesce(c.county_name, p.location_name) end as county_name,
    p._file_name,
    p._content_hash,
    p._row_number,
    p._loaded_at
from located as p
left join {{ ref('int_source_type_decisions') }} as d
    on d.source = 'police_events' and d.source_type = p.event_type
left join {{ ref('int_municipalities') }} as m on m.municipality_code = p.municipality_code
left join (select distinct county_code, county_name from county_keys) as c on c.county_code = p.county_code
