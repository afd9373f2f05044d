{#- Every EST area of the deployment, whether the municipality drew its boundaries
    (areas.geojson, .gpkg, .shp) or defined it by the DeSO areas that make it up
    (area_deso.csv with the area's name). The municipality is the boundary file's code,
    else the one the area's DeSO codes share (their first four digits), and its name the
    file's, else SCB's, else the one the police's extract writes for those DeSO codes. geometry_wkt is null for an area known only by its DeSOs: such an
    area gets police crimes from the DeSO extract but no points located by polygon. -#}

with drawn as (
    select area_id, area_name, municipality_code, municipality_name, geometry_wkt
    from {{ ref('stg_reference__areas') }}
),

links as (
    select area_id, deso_code, area_name from {{ ref('stg_reference__area_deso') }}
),

-- The municipality an area's DeSOs belong to (the most common prefix; ties by code).
deso_municipality as (
    select area_id, municipality_code
    from (
        select
            area_id,
            substr(deso_code, 1, 4) as municipality_code,
            row_number() over (
                partition by area_id order by count(*) desc, substr(deso_code, 1, 4)
            ) as prefix_rank
        from links
        where {{ est_regexp_full_match('deso_code', deso_pattern()) }}
        group by area_id, substr(deso_code, 1, 4)
    ) as ranked
    where prefix_rank = 1
),

-- A municipality the files do not name (a code outside SCB's list, e.g. a test deployment)
-- is named as the police's extract names it, for the DeSO codes with its prefix: the name
-- it writes most often (ties: the first name in alphabetical order).
named_by_police as (
    select municipality_code, municipality_name
    from (
        select
            substr(deso_code, 1, 4) as municipality_code,
            municipality_name,
            row_number() over (
                partition by substr(deso_code, 1, 4) order by count(*) desc, municipality_name
            ) as name_rank
        from {{ ref('stg_police__deso_crimes') }}
        where {{ est_regexp_full_match('deso_code', deso_pattern()) }} and municipality_name is not null
            and not {{ est_regexp_full_match('municipality_name', "'\\d{4}'") }}
        group by substr(deso_code, 1, 4), municipality_name
    ) as ranked
    where name_rank = 1
),

listed as (
    select area_id, min(area_name) as area_name
    from links
    where area_id not in (select area_id from drawn)
    group by area_id
),

unioned as (
    select d.area_id, d.area_name, coalesce(d.municipality_code, m.municipality_code) as municipality_code,
        d.municipality_name, d.geometry_wkt
    from drawn as d
    left join deso_municipality as m on m.area_id = d.area_id
    union all
    select l.area_id, coalesce(l.area_name, l.area_id), m.municipality_code, cast(null as varchar),
        cast(null as varchar)
    from listed as l
    left join deso_municipality as m on m.area_id = l.area_id
)

select
    u.area_id,
    u.area_name,
    u.municipality_code,
    coalesce(u.municipality_name, s.municipality_name, p.municipality_name) as municipality_name,
    u.geometry_wkt,
    u.geometry_wkt is not null as has_boundary
from unioned as u
left join {{ ref('municipalities') }} as s on s.municipality_code = u.municipality_code
left join named_by_police as p on p.municipality_code = u.municipality_code
