{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['weekly'],
    pre_hook="{{ delete_partition_window('week_start') }}",
) }}

{#- Area × week × category over the whole data period: events reported by each partner, the
    cross-partner deduplicated total (int_events__deduplicated), the police-reported crimes
    (int_police_crimes_area_week_category) and the incidents: the deduplicated events plus
    the crimes that only the police's DeSO extract knows. The full history is kept here, so
    a weekly mart partition reads its trailing baseline from this model and never from the
    mart itself: a week's result does not depend on run order. -#}

with grid as (
    select g.*, c.category, c.category_sv, c.outcome_group
    from {{ ref('int_area_weeks') }} as g
    cross join {{ ref('categories') }} as c
    where {{ in_window('g.week_start') }}
),

counts as (
    select
        area_id,
        week_start,
        category,
        count(*) filter (where partner = 'police') as events_police,
        count(*) filter (where partner = 'municipality') as events_municipality,
        count(*) filter (where partner = 'housing') as events_housing,
        count(*) as events_reported,
        count(*) filter (where is_counted) as events_total
    from {{ ref('int_events__deduplicated') }}
    where area_id is not null and category is not null and {{ in_window('week_start') }}
    group by area_id, week_start, category
),

police as (
    select * from {{ ref('int_police_crimes_area_week_category') }}
    where {{ in_window('week_start') }}
)

select
    g.area_id,
    g.area_name,
    g.municipality_code,
    g.week_start,
    g.iso_year,
    g.iso_week,
    g.iso_week_label,
    g.category,
    g.category_sv,
    g.outcome_group,
    g.population,
    cast(coalesce(c.events_police, 0) as integer) as events_police,
    cast(coalesce(c.events_municipality, 0) as integer) as events_municipality,
    cast(coalesce(c.events_housing, 0) as integer) as events_housing,
    cast(coalesce(c.events_reported, 0) as integer) as events_reported,
    cast(coalesce(c.events_total, 0) as integer) as events_total,
    cast(coalesce(p.police_crimes, 0) as double) as police_crimes,
    cast(coalesce(p.police_crimes_from_deso, 0) as double) as police_crimes_from_deso,
    cast(coalesce(c.events_total, 0) + coalesce(p.police_crimes_from_deso, 0) as double) as incidents_total
from grid as g
left join counts as c
    on c.area_id = g.area_id and c.week_start = g.week_start and c.category = g.category
left join police as p
    on p.area_id = g.area_id and p.week_start = g.week_start and p.category = g.category
