{#- The police's public events API as a municipal background for the weekly lägesbild:
    municipality × ISO week × event type, the events of this deployment's municipalities
    (located only to the municipality's centroid, so never per area), summaries excluded.
    Unpartitioned: rebuilt whole on every run. -#}

select
    r.municipality_code,
    m.municipality_name,
    r.week_start,
    {{ iso_week_label('r.week_start') }} as iso_week_label,
    r.event_type,
    r.category,
    coalesce(r.decision, 'unknown') as decision,
    cast(count(*) as integer) as events
from {{ ref('int_police_events_records') }} as r
inner join {{ ref('int_municipalities') }} as m on m.municipality_code = r.municipality_code
where r.is_current and r.decision is distinct from 'summary'
group by 1, 2, 3, 4, 5, 6, 7
