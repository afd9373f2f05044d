{#- Each event with its EST category, place and area. Location, first match wins:
      1. a place id the partner reported (field observations), if the place exists;
      2. the point's place polygon, then the point's area polygon (int_event_points_located);
      3. the address in the address register (place, else area): in the municipality the
         partner's row names (its Kommun column, a name or a code), else only if the
         register puts the address in one municipality;
      4. the property designation in the address register (area), likewise.
    An event matching none keeps area_id null (location_method 'unlocated'): it is counted in
    marts.weekly_unlocated_events, not dropped. An event type the seed does not map keeps
    category null and is listed in marts.unmapped_source_types. -#}

-- The municipality a partner's row names (Kommun: "Örebro", "Örebro kommun" or "1880"), as
-- a code of this deployment or the municipalities seed; null when the row names none, or a
-- name or code nobody knows (then the address must be unambiguous on its own, as below).
with municipality_keys as (
    {{ municipality_name_keys() }}
),

events as (
    select
        e.*,
        -- A code counts only if it is a known municipality, as a name does: an unknown code
        -- is as good as none, so the address may still be located by the unique rule.
        (
            select min(k.municipality_code)
            from municipality_keys as k
            where k.municipality_code = trim(e.partner_municipality)
                or {{ municipality_key('e.partner_municipality') }} in (k.name_key, k.name_key || 's')
        ) as partner_municipality_code
    from {{ ref('int_events__unioned') }} as e
),

points as (
    select * from {{ ref('int_event_points_located') }}
),

places as (
    select place_id, area_id from {{ ref('stg_reference__places') }}
),

areas as (
    select area_id from {{ ref('int_areas') }}
),

-- One answer per address and municipality even if the register lists it twice (lowest
-- ids, deterministic): used when the partner's row names its municipality.
address_in_municipality as (
    select r.address_key, a.municipality_code, min(r.place_id) as place_id, min(r.area_id) as area_id
    from {{ ref('stg_reference__addresses') }} as r
    inner join {{ ref('int_areas') }} as a on a.area_id = r.area_id
    where r.address_key is not null
    group by r.address_key, a.municipality_code
),

property_in_municipality as (
    select r.property_designation, a.municipality_code, min(r.area_id) as area_id
    from {{ ref('stg_reference__addresses') }} as r
    inner join {{ ref('int_areas') }} as a on a.area_id = r.area_id
    where r.property_designation is not null
    group by r.property_designation, a.municipality_code
),

-- A row that names no municipality: one answer per address (lowest ids, deterministic),
-- and an address that the register puts in areas of two municipalities (Storgatan 1 in two
-- towns) locates nothing: the event stays unlocated and is counted in
-- weekly_unlocated_events, rather than being given to one of them by chance. The same
-- holds for property designations.
address_register as (
    select r.address_key, min(r.place_id) as place_id, min(r.area_id) as area_id
    from {{ ref('stg_reference__addresses') }} as r
    left join {{ ref('int_areas') }} as a on a.area_id = r.area_id
    where r.address_key is not null
    group by r.address_key
    having count(distinct a.municipality_code) <= 1
),

property_register as (
    select r.property_designation, min(r.area_id) as area_id
    from {{ ref('stg_reference__addresses') }} as r
    left join {{ ref('int_areas') }} as a on a.area_id = r.area_id
    where r.property_designation is not null
    group by r.property_designation
    having count(distinct a.municipality_code) <= 1
),

mapping as (
    select m.source, m.source_type, m.category, c.outcome_group
    from {{ ref('category_mapping') }} as m
    left join {{ ref('categories') }} as c on c.category = m.category
),

located as (
    select
        e.*,
        p.east_sweref,
        p.north_sweref,
        reported.place_id as reported_place_id_valid,
        p.point_place_id,
        p.point_area_id,
        coalesce(am.place_id, a.place_id) as address_place_id,
        coalesce(am.area_id, a.area_id) as address_area_id,
        coalesce(pm.area_id, pr.area_id) as property_area_id
    from events as e
    left join points as p on p.event_id = e.event_id
    left join places as reported on reported.place_id = e.reported_place_id
    left join address_in_municipality as am
        on am.address_key = {{ address_key('e.address') }} and am.municipality_code = e.partner_municipality_code
    left join address_register as a
        on a.address_key = {{ address_key('e.address') }} and e.partner_municipality_code is null
    left join property_in_municipality as pm
        on pm.property_designation = e.property_designation and pm.municipality_code = e.partner_municipality_code
    left join property_register as pr
        on pr.property_designation = e.property_designation and e.partner_municipality_code is null
),

resolved as (
    select
        *,
        case
            when reported_place_id_valid is not null then 'reported_place'
            when point_place_id is not null then 'point_in_place'
            when point_area_id is not null then 'point_in_area'
            when address_place_id is not null or address_area_id is not null then 'address_register'
            when property_area_id is not null then 'property_register'
            else 'unlocated'
        end as location_method,
        case
            when reported_place_id_valid is not null then reported_place_id_valid
            when point_place_id is not null then point_place_id
            when point_area_id is not null then null
            else address_place_id
        end as place_id
    from located
)

select
    r.event_id,
    r.source,
    r.partner,
    r.source_event_id,
    r.source_type,
    m.category,
    m.outcome_group,
    r.event_at,
    r.event_date,
    r.week_start,
    r.has_time_of_day,
    r.place_id,
    case r.location_method
        when 'point_in_area' then r.point_area_id
        when 'address_register' then coalesce(pl.area_id, r.address_area_id)
        when 'property_register' then r.property_area_id
        when 'unlocated' then null
        else pl.area_id
    end as area_id,
    r.location_method,
    r.east_sweref,
    r.north_sweref,
    r.reported_place_id,
    r.address,
    r.property_designation,
    r.partner_municipality,
    r.partner_municipality_code,
    r._file_name,
    r._row_number,
    r._loaded_at
from resolved as r
left join places as pl on pl.place_id = r.place_id
left join mapping as m on m.source = r.source and m.source_type = r.source_type
