{{ config(materialized='ephemeral') }}

{#- Area × analysis period × category: incidents by the incident's date - deduplicated events
    (int_events__deduplicated, is_counted) plus the crimes only the police's DeSO extract
    knows (int_police_deso_crimes_in_areas, spread by population share, so fractional) - with the area's residents and what the seeds say about
    the category. Every area × complete period × category is present, zeros included.
    Covers the run's window plus as many periods before it as the trend (var trend_periods)
    and the hot-spot window (var hot_spot_periods) look back. -#}

{%- set lookback = [var('trend_periods', 4), var('hot_spot_periods', 8)] | max -%}

with periods as (
    select *
    from {{ ref('int_analysis_periods') }}
    where period_start >= {{ est_period_shift(window_start(), -lookback) }}
        and period_start < {{ window_end() }}
),

areas as (
    select area_id, area_name, municipality_code from {{ ref('int_areas') }}
),

-- Residents in the period's calendar year (the rule: int_area_year_population).
population as (
    select area_id, year, population from {{ ref('int_area_year_population') }}
),

-- A category is addressable by the partners when the recommended_interventions seed names
-- at least one intervention with a responsible partner for it.
partnered as (
    select category, count(*) as recommended_interventions
    from {{ ref('recommended_interventions') }}
    where coalesce(trim(responsible_partner), '') <> ''
    group by category
),

categories as (
    select
        c.category,
        c.category_sv,
        c.outcome_group,
        coalesce(c.situational, false) as situational,
        p.category is not null as has_responsible_partner
    from {{ ref('categories') }} as c
    left join partnered as p on p.category = c.category
),

incidents as (
    select area_id, event_date, category, 1.0 as incidents
    from {{ ref('int_events__deduplicated') }}
    where is_counted
    union all
    select area_id, event_date, category, crimes as incidents
    from {{ ref('int_police_deso_crimes_in_areas') }}
),

counts as (
    select
        area_id,
        {{ est_period_start('event_date') }} as period_start,
        category,
        sum(incidents) as events
    from incidents
    where event_date >= (select min(period_start) from periods)
        and event_date < (select max(period_end) from periods)
    group by 1, 2, 3
),

grid as (
    select
        a.area_id,
        a.area_name,
        a.municipality_code,
        p.period_start,
        p.period_end,
        p.period_label,
        year(p.period_start) as population_year
    from areas as a
    cross join periods as p
),

with_population as (
    select
        g.*,
        pop.population
    from grid as g
    left join population as pop
        on pop.area_id = g.area_id and pop.year = g.population_year
)

select
    g.area_id,
    g.area_name,
    g.municipality_code,
    g.period_start,
    g.period_end,
    g.period_label,
    cast(g.population as integer) as population,
    c.category,
    c.category_sv,
    c.outcome_group,
    c.situational,
    c.has_responsible_partner,
    cast(round(coalesce(n.events, 0), 4) as double) as events
from with_population as g
cross join categories as c
left join counts as n
    on n.area_id = g.area_id and n.period_start = g.period_start and n.category = c.category
