{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['weekly'],
    pre_hook="{{ delete_partition_window('week_start') }}",
) }}

{#- Police-reported crimes per area × week × category: the police's own series.
    Where the police's local incident extract covers a municipality's week, its located
    incidents are the series (each once, as delivered by the police, before the
    cross-partner deduplication of int_events__deduplicated); elsewhere the DeSO-coded
    extract, spread over the areas by population share, is the series. `from_deso` is the
    part that only the DeSO extract knows: it is not among the partners' events, so
    incidents = events_total + from_deso counts every incident once. Built per weekly
    partition. -#}

with local_extract as (
    select
        area_id,
        week_start,
        category,
        cast(count(*) as double) as police_crimes,
        0.0 as from_deso
    from {{ ref('int_events__deduplicated') }}
    where source = 'police_local' and area_id is not null and category is not null
        and {{ in_window('week_start') }}
    group by area_id, week_start, category
),

deso_extract as (
    select
        area_id,
        week_start,
        category,
        sum(crimes) as police_crimes,
        sum(crimes) as from_deso
    from {{ ref('int_police_deso_crimes_in_areas') }}
    where {{ in_window('week_start') }}
    group by area_id, week_start, category
),

both_extracts as (
    select * from local_extract
    union all
    select * from deso_extract
)

select
    area_id,
    week_start,
    category,
    sum(police_crimes) as police_crimes,
    sum(from_deso) as police_crimes_from_deso
from both_extracts
group by area_id, week_start, category
