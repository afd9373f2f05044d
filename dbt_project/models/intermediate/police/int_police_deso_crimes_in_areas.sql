{#- The counted DeSO-coded crimes (fate in_area) spread over the EST areas their DeSO is
    linked to: crimes × the area's share of the DeSO's residents. A share that is blank in
    area_deso.csv means the whole DeSO (1). Where a DeSO's shares sum to less than 1, the
    rest of the DeSO lies outside the EST areas and that part of the crime is counted in
    marts.police_records_not_in_areas (share_outside_areas). -#}

with crimes as (
    select * from {{ ref('int_police_deso_crimes') }}
    where fate = 'in_area'
),

links as (
    select area_id, deso_code, coalesce(population_share, 1.0) as population_share
    from {{ ref('stg_reference__area_deso') }}
)

select
    c.crime_id,
    l.area_id,
    c.municipality_code,
    c.deso_code,
    c.category,
    c.event_date,
    c.week_start,
    l.population_share,
    c.crime_count * l.population_share as crimes
from crimes as c
inner join links as l on l.deso_code = c.deso_code
