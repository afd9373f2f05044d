{#- DeSO-coded reported crimes spread to EST areas by the area's share of the DeSO's
    population (crimes × share). Context beside the partners' own events, never added to the
    deduplicated count: the same crime may also be a local incident. Crimes without a DeSO
    or with an unmapped crime code are not spread (they show in unmapped_source_types). -#}

with crimes as (
    select c.deso_code, {{ week_start('c.event_date') }} as week_start, m.category, c.crime_count
    from {{ ref('stg_police__deso_crimes') }} as c
    inner join {{ ref('category_mapping') }} as m
        on m.source = 'police_deso' and m.source_type = c.crime_code
    where c.deso_code is not null and c.event_date is not null
)

select
    l.area_id,
    c.week_start,
    c.category,
    sum(coalesce(c.crime_count, 1) * l.population_share) as police_reported_crimes_deso_weighted
from crimes as c
inner join {{ ref('stg_reference__area_deso') }} as l on l.deso_code = c.deso_code
group by l.area_id, c.week_start, c.category
