{#- The municipalities this deployment serves: every municipality code of its areas, with
    the name the areas give (else the official name from the municipalities seed) and the
    county. Police records of any other municipality are counted in
    marts.police_records_not_in_areas, never in an area. -#}

with from_areas as (
    select
        municipality_code,
        max(municipality_name) as municipality_name
    from {{ ref('int_areas') }}
    where municipality_code is not null
    group by municipality_code
)

select
    a.municipality_code,
    coalesce(a.municipality_name, s.municipality_name) as municipality_name,
    s.county_code,
    s.county_name
from from_areas as a
left join {{ ref('municipalities') }} as s on s.municipality_code = a.municipality_code
