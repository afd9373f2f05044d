{#- Every area × ISO week of the data period, with the residents that year. Population is
    the figure for the week's ISO year; a missing year takes the latest earlier year, else
    the earliest later one, so a late population file never leaves holes. -#}

with period as (
    select * from {{ ref('int_data_period') }}
),

weeks as (
    select cast(w as date) as week_start
    from period, range(period.first_week_start, period.last_week_start + interval 7 day, interval 7 day) as t(w)
),

areas as (
    select area_id, area_name, municipality_code from {{ ref('stg_reference__areas') }}
),

grid as (
    select
        a.area_id,
        a.area_name,
        a.municipality_code,
        w.week_start,
        isoyear(w.week_start) as iso_year,
        week(w.week_start) as iso_week,
        {{ iso_week_label('w.week_start') }} as iso_week_label
    from areas as a
    cross join weeks as w
),

population as (
    select area_id, population_year, population
    from {{ ref('stg_reference__area_population') }}
    where population is not null
),

earliest_population as (
    select area_id, arg_min(population, population_year) as population
    from population
    group by area_id
)

select
    g.area_id,
    g.area_name,
    g.municipality_code,
    g.week_start,
    cast(g.iso_year as integer) as iso_year,
    cast(g.iso_week as integer) as iso_week,
    g.iso_week_label,
    cast(coalesce(p.population, e.population) as integer) as population
from grid as g
asof left join population as p
    on p.area_id = g.area_id and g.iso_year >= p.population_year
left join earliest_population as e on e.area_id = g.area_id
