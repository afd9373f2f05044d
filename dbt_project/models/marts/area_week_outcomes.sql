{#- The estimation panel: area × week × outcome group, every area × week of the data period,
    zeros included. property, disorder, violence and total count incidents (deduplicated
    events plus the crimes only the police's DeSO extract knows); police_crimes is the
    police's own series. Built per weekly partition (the table holds every week built so
    far); the yearly estimation reads the whole period at once. -#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['weekly'],
    pre_hook="{{ delete_partition_window('week_start') }}",
) }}

with events as (
    select * from {{ ref('int_area_week_category_events') }}
    where {{ in_window('week_start') }}
),

by_group as (
    select area_id, week_start, outcome_group, sum(incidents_total) as events
    from events
    group by area_id, week_start, outcome_group
),

totals as (
    select area_id, week_start, 'total' as outcome_group, sum(incidents_total) as events
    from events
    group by area_id, week_start
),

police as (
    select area_id, week_start, 'police_crimes' as outcome_group, sum(police_crimes) as events
    from events
    group by area_id, week_start
),

groups as (
    select * from by_group
    union all
    select * from totals
    union all
    select * from police
)

select
    w.area_id,
    w.week_start,
    w.iso_week_label,
    g.outcome_group,
    cast(round(g.events, 4) as double) as events,
    cast(w.population as integer) as population
from groups as g
inner join {{ ref('int_area_weeks') }} as w
    on w.area_id = g.area_id and w.week_start = g.week_start and {{ in_window('w.week_start') }}
