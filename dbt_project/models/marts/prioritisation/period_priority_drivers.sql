{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['period'],
    pre_hook="{{ delete_partition_window('period_start') }}",
) }}

{#- Area × analysis period × category: what drives each area's need (docs block
    `prioritisation_measures`). One row per category with at least one event in the area in
    the period. A category drives the rank when it is among the area's three largest
    excesses over what the municipality's rate would give (excess_events > 0). -#}

{%- set trend_periods = var('trend_periods', 4) -%}

with cells as (
    select * from {{ ref('int_period_area_category_events') }}
),

municipality as (
    select
        municipality_code,
        period_start,
        category,
        sum(events) as municipality_events,
        sum(population) filter (where population > 0) as municipality_population
    from cells
    where population > 0
    group by 1, 2, 3
),

area_totals as (
    select area_id, period_start, sum(events) as area_events
    from cells
    group by 1, 2
),

rated as (
    select
        c.*,
        t.area_events,
        m.municipality_events,
        m.municipality_population,
        c.events * 1000.0 / nullif(c.population, 0) as events_per_1000,
        m.municipality_events * 1000.0 / nullif(m.municipality_population, 0) as municipality_events_per_1000
    from cells as c
    inner join area_totals as t on t.area_id = c.area_id and t.period_start = c.period_start
    left join municipality as m
        on m.municipality_code is not distinct from c.municipality_code
        and m.period_start = c.period_start
        and m.category = c.category
),

trended as (
    select
        *,
        avg(events_per_1000) over (
            partition by area_id, category order by period_start
            rows between {{ trend_periods }} preceding and 1 preceding
        ) as previous_events_per_1000,
        count(*) over (
            partition by area_id, category order by period_start
            rows between {{ trend_periods }} preceding and 1 preceding
        ) as previous_periods
    from rated
),

scored as (
    select
        *,
        events_per_1000 / nullif(municipality_events_per_1000, 0) as load_ratio,
        municipality_events * 1.0 / nullif(municipality_population, 0) * population as expected_events
    from trended
    where period_start >= {{ window_start() }} and period_start < {{ window_end() }}
        and events > 0
),

ranked as (
    select
        *,
        events - coalesce(expected_events, 0) as excess_events,
        row_number() over (
            partition by area_id, period_start
            order by events - coalesce(expected_events, 0) desc, events desc, category
        ) as driver_rank
    from scored
)

select
    area_id,
    area_name,
    municipality_code,
    period_start,
    period_end,
    period_label,
    category,
    category_sv,
    outcome_group,
    situational,
    has_responsible_partner,
    cast(round(events, 4) as double) as events,
    cast(round(area_events, 4) as double) as area_events,
    events * 1.0 / nullif(area_events, 0) as need_share,
    population,
    events_per_1000,
    municipality_events_per_1000,
    load_ratio,
    expected_events,
    excess_events,
    previous_events_per_1000,
    cast(previous_periods as integer) as previous_periods,
    events_per_1000 / nullif(previous_events_per_1000, 0) as trend_ratio,
    cast(driver_rank as integer) as driver_rank,
    driver_rank <= {{ var('drivers_per_area', 3) }} and excess_events > 0 as is_driver
from ranked
