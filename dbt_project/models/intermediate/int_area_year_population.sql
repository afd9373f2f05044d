{#- Area × year: the residents every per-resident rate divides by, written once. An area's
    figures come from population.csv (per area); an area without any there gets them from
    deso_population.csv: the sum over its DeSO areas of the DeSO's residents × the area's
    share of them. The figure
    for a year is the area's latest population figure from that year or earlier; a year
    before the area's first figure takes that first (earliest) figure, so a population file
    that starts late or stops early never leaves holes. Years run from the earlier of the
    first population year and the first data year to the later of the last population year
    and the last data year (the year holding the last data week's Sunday), so every calendar
    or ISO year a model can ask about (weeks, analysis periods, follow-up years) has a row. -#}

with area_population as (
    select area_id, population_year, population
    from {{ ref('stg_reference__area_population') }}
    where population is not null
),

from_deso as (
    select l.area_id, d.population_year, sum(d.population * l.population_share) as population
    from {{ ref('stg_reference__deso_population') }} as d
    inner join {{ ref('stg_reference__area_deso') }} as l on l.deso_code = d.deso_code
    where d.population is not null
        and l.area_id not in (select area_id from area_population)
    group by l.area_id, d.population_year
),

population as (
    select * from area_population
    union all
    select area_id, population_year, cast(round(population) as integer) from from_deso
),

earliest_population as (
    select
        area_id,
        {{ est_arg_min('population', 'population_year') }} as population,
        min(population_year) as population_year
    from population
    group by area_id
),

areas as (
    select distinct area_id from {{ ref('int_areas') }}
),

bounds as (
    select
        {{ est_least([
            '(select min(population_year) from population)',
            "(select year(first_week_start) from " ~ ref('int_data_period') ~ ")",
        ]) }} as first_year,
        {{ est_greatest([
            '(select max(population_year) from population)',
            "(select year(" ~ est_add_days('last_week_start', 6) ~ ") from " ~ ref('int_data_period') ~ ")",
        ]) }} as last_year
),

grid as (
    select a.area_id, cast(t.y as integer) as year
    from areas as a
    cross join bounds as b
    cross join {{ est_series('b.first_year', 'b.last_year + 1', 't', 'y') }}
),

-- Each grid year with the area's latest figure from that year or earlier (none: nulls).
latest_figure as (
    select
        g.area_id,
        g.year,
        p.population,
        p.population_year,
        row_number() over (partition by g.area_id, g.year order by p.population_year desc) as figure_rank
    from grid as g
    left join population as p
        on p.area_id = g.area_id and g.year >= p.population_year
)

select
    g.area_id,
    g.year,
    cast(coalesce(g.population, e.population) as integer) as population,
    cast(coalesce(g.population_year, e.population_year) as integer) as population_year
from latest_figure as g
left join earliest_population as e on e.area_id = g.area_id
where g.figure_rank = 1
