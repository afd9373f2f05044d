{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['weekly'],
    pre_hook="{{ delete_partition_window('week_start') }}",
) }}

{#- Checklist ratings per area × week × category, by partner: the highest rating (the
    partner's most worrying place in the area) and the mean over its places. Built per
    weekly partition. -#}

select
    area_id,
    week_start,
    category,
    cast(count(rating) as integer) as checklist_ratings,
    cast(max(rating) as integer) as rating_max,
    cast(max(rating) filter (where partner = 'police') as integer) as rating_max_police,
    cast(max(rating) filter (where partner = 'municipality') as integer) as rating_max_municipality,
    cast(max(rating) filter (where partner = 'housing') as integer) as rating_max_housing,
    avg(rating) filter (where partner = 'police') as rating_mean_police,
    avg(rating) filter (where partner = 'municipality') as rating_mean_municipality,
    avg(rating) filter (where partner = 'housing') as rating_mean_housing
from {{ ref('int_checklist_ratings') }}
where category is not null and area_id is not null and week_start is not null and rating is not null
    and {{ in_window('week_start') }}
group by area_id, week_start, category
