{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['weekly'],
    pre_hook="{{ delete_partition_window('week_start') }}",
) }}

{#- Checklist ratings with their EST category (via the checklist item mapping) and area. A
    re-submitted rating (same week, partner, area, place and item) counts once: the latest
    submission, else the latest load. Items the seed does not map keep category null and are
    listed in marts.unmapped_source_types.
    Built per weekly partition (the rating's own week): a run replaces exactly its weeks, so
    a Monday does not re-read years of ratings. -#}

with ratings as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by week_start, partner, area_id, coalesce(place_id, ''), checklist_item
                order by submitted_at desc nulls last, _loaded_at desc, _file_name desc, _row_number desc
            ) as _submission_rank
        from {{ ref('stg_partners__checklist_ratings') }}
        where {{ in_window('week_start') }}
    ) as ranked
    where _submission_rank = 1
),

mapping as (
    select source_type, category
    from {{ ref('category_mapping') }}
    where source = 'checklist'
)

select
    r._content_hash || ':' || cast(r._row_number as varchar) as rating_id,
    r.week_start,
    r.iso_week_label,
    r.partner,
    r.area_id,
    r.place_id,
    r.checklist_item,
    m.category,
    r.rating_colour,
    r.rating,
    r.comment,
    r.submitted_at,
    r._file_name,
    r._row_number
from ratings as r
left join mapping as m on m.source_type = r.checklist_item
