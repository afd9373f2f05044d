{{ config(materialized='table', enabled=(target.type != 'duckdb')) }}

{#- The SQL version of int_event_points_located.py, for engines with spatial SQL functions
    (Trino, Spark with Sedona, PostGIS). On DuckDB it is disabled and the Python model runs
    (DuckDB has no spatial extension here); elsewhere it replaces it under the same name,
    with the same columns and the same rule: a point on a border counts as inside
    (ST_Intersects), and a point inside several polygons takes the smallest, then the lowest
    id. Written with Trino's function names; another engine adds its own spellings to the
    est_sweref_* macros or copies this model. Points in WGS84 (the municipal fault reports)
    need a coordinate transformation, which Trino does not have (est_sweref_point): there
    they stay unlocated unless the ingest stores them in SWEREF 99 TM. -#}

with events as (
    select event_id, coord_x, coord_y, coord_crs
    from {{ ref('int_events__unioned') }}
    where coord_x is not null and coord_y is not null
),

points as (
    select event_id, {{ est_sweref_point('coord_x', 'coord_y', 'coord_crs') }} as point
    from events
),

places as (
    select place_id as polygon_id, ST_GeometryFromText(geometry_wkt) as polygon
    from {{ ref('stg_reference__places') }}
    where geometry_wkt is not null
),

areas as (
    select area_id as polygon_id, ST_GeometryFromText(geometry_wkt) as polygon
    from {{ ref('stg_reference__areas') }}
    where geometry_wkt is not null
),

place_hits as (
    select p.event_id, g.polygon_id,
        row_number() over (partition by p.event_id order by ST_Area(g.polygon), g.polygon_id) as hit_rank
    from points as p
    inner join places as g on ST_Intersects(g.polygon, p.point)
),

area_hits as (
    select p.event_id, g.polygon_id,
        row_number() over (partition by p.event_id order by ST_Area(g.polygon), g.polygon_id) as hit_rank
    from points as p
    inner join areas as g on ST_Intersects(g.polygon, p.point)
)

select
    p.event_id,
    cast(ST_X(p.point) as double) as east_sweref,
    cast(ST_Y(p.point) as double) as north_sweref,
    ph.polygon_id as point_place_id,
    ah.polygon_id as point_area_id
from points as p
left join place_hits as ph on ph.event_id = p.event_id and ph.hit_rank = 1
left join area_hits as ah on ah.event_id = p.event_id and ah.hit_rank = 1
