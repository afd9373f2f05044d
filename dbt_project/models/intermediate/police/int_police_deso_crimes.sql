{#- What became of every delivered row of the DeSO-coded crime extract: exactly one fate
    each, so that every row is accounted for in exactly one place.

    fate (the first that applies):
    - repeat_superseded: a later delivery of the same Id replaced it;
    - unknown_municipality: neither a DeSO code nor a recognisable Kommun (the county is kept);
    - other_municipality: a municipality this deployment does not serve (a national file);
    - unknown_code: the crime code is on no list (it shows in marts.unmapped_source_types);
    - not_tracked: the code list decides it says nothing about a place (with a reason);
    - no_deso_code: the police could not code the crime to a DeSO area;
    - deso_not_linked: its DeSO is linked to no EST area (reference file area_deso.csv);
    - outside_data_period: the crime's week lies outside the data period (a crime registered
      long after it was committed);
    - in_local_extract: the same Id arrived in the police's local incident extract, which
      locates it precisely and counts it;
    - covered_by_local_extract: the local incident extract covers the municipality that week
      (between its first and last week), so it counts the week's police crimes itself;
    - in_area: counted, spread over the areas its DeSO is linked to (int_police_deso_crimes_in_areas).

    The last two rules are how a crime is never counted twice when a municipality receives
    both police deliveries: the located local extract wins wherever it reaches. -#}

with records as (
    select * from {{ ref('int_police_deso_records') }}
),

period as (
    select * from {{ ref('int_data_period') }}
),

linked_deso as (
    select distinct deso_code from {{ ref('stg_reference__area_deso') }}
),

local_numbers as (
    select distinct incident_number
    from {{ ref('stg_police__local_incidents') }}
    where incident_number is not null
),

-- The weeks the local incident extract covers, per municipality (through its located events).
local_coverage as (
    select
        a.municipality_code,
        min(e.week_start) as first_week_start,
        max(e.week_start) as last_week_start
    from {{ ref('int_events__harmonised') }} as e
    inner join {{ ref('int_areas') }} as a on a.area_id = e.area_id
    where e.source = 'police_local' and e.week_start is not null
    group by a.municipality_code
)

select
    r.*,
    case
        when not r.is_current then 'repeat_superseded'
        when r.municipality_code is null then 'unknown_municipality'
        when not r.is_own_municipality then 'other_municipality'
        when r.decision is null then 'unknown_code'
        when r.decision <> 'tracked' then 'not_tracked'
        when r.deso_code is null then 'no_deso_code'
        when l.deso_code is null then 'deso_not_linked'
        when r.week_start is null
            or r.week_start < (select first_week_start from period)
            or r.week_start > (select last_week_start from period) then 'outside_data_period'
        when n.incident_number is not null then 'in_local_extract'
        when c.municipality_code is not null then 'covered_by_local_extract'
        else 'in_area'
    end as fate
from records as r
left join linked_deso as l on l.deso_code = r.deso_code
left join local_numbers as n on n.incident_number = r.crime_id
left join local_coverage as c
    on c.municipality_code = r.municipality_code
    and r.week_start between c.first_week_start and c.last_week_start
