{#- The police's public events API as a background for the weekly lägesbild: deployment
    municipality × ISO week × event type × what the API located the events to, summaries
    excluded, current deliveries only. Never per area: the API gives only a municipality's
    or a county's centroid.

    located_to = 'municipality': the events the API locates to the municipality itself.
    located_to = 'county': the events it locates only to the municipality's county (since
    2026 the API names only the county); every deployment municipality of that county gets
    the same county rows, so they are a county background, not the municipality's events,
    and are not to be summed over municipalities. The municipality's county is its seed
    county, else the first two digits of its code. County-located events are also traced,
    unchanged, in marts.police_records_not_in_areas (reason county_centroid).
    Unpartitioned: rebuilt whole on every run. -#}

with current_events as (
    select *
    from {{ ref('int_police_events_records') }}
    where is_current and decision is distinct from 'summary'
),

deployment as (
    select
        municipality_code,
        municipality_name,
        coalesce(county_code, substr(municipality_code, 1, 2)) as county_code,
        county_name
    from {{ ref('int_municipalities') }}
),

located as (
    select m.municipality_code, m.municipality_name, r.located_to, m.county_name, r.week_start, r.event_type, r.category, r.decision
    from current_events as r
    inner join deployment as m on m.municipality_code = r.municipality_code
    where r.located_to = 'municipality'
    union all
    select m.municipality_code, m.municipality_name, r.located_to, r.county_name, r.week_start, r.event_type, r.category, r.decision
    from current_events as r
    inner join deployment as m on m.county_code = r.county_code
    where r.located_to = 'county'
)

select
    municipality_code,
    municipality_name,
    week_start,
    {{ iso_week_label('week_start') }} as iso_week_label,
    located_to,
    county_name,
    event_type,
    category,
    coalesce(decision, 'unknown') as decision,
    cast(count(*) as integer) as events
from located
group by 1, 2, 3, 4, 5, 6, 7, 8, 9
