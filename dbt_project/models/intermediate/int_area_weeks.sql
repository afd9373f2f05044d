{#- Every area × ISO week of the data period, with the residents that year: the figure for
    the week's ISO year by the population rule of int_area_year_population (a missing year
    takes the latest earlier year, else the earliest later one). -#}

with period as (
    select * from {{ ref('int_data_period') }}
),

weeks as (
    select cast(w as date) as week_start
    from period, {{ est_series('period.first_week_start', 'period.last_week_start + ' ~ est_interval(7, 'day'), 't', 'w', est_interval(7, 'day')) }}
),

areas as (
    select area_id, area_name, municipality_code from {{ ref('int_areas') }}
),

grid as (
    select
        a.area_id,
        a.area_name,
        a.municipality_code,
        w.week_start,
        {{ est_isoyear('w.week_start') }} as iso_year,
        week(w.week_start) as iso_week,
        {{ iso_week_label('w.week_start') }} as iso_week_label
    from areas as a
    cross join weeks as w
),

population as (
    select area_id, year, population from {{ ref('int_area_year_population') }}
)

select
    g.area_id,
    g.area_name,
    g.municipality_code,
    g.week_start,
    cast(g.iso_year as integer) as iso_year,
    cast(g.iso_week as integer) as iso_week,
    g.iso_week_label,
    p.population
from grid as g
left join population as p on p.area_id = g.area_id and p.year = g.iso_year
