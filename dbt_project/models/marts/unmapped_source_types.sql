{#- Every partner event type (or checklist item, or crime code) that the category_mapping
    seed does not map, with how many rows carry it and where it was seen. Those rows are not
    in the category counts; add a seed row and rebuild to count them. The dbt test
    `has_category_mapping` warns about the same types. -#}

with events as (
    select source, source_type, event_date as seen_on, _file_name
    from {{ ref('int_events__harmonised') }}
    where category is null
),

checklist as (
    select 'checklist' as source, checklist_item as source_type, week_start as seen_on, _file_name
    from {{ ref('int_checklist_ratings') }}
    where category is null
),

deso as (
    select 'police_deso' as source, c.crime_code as source_type, c.event_date as seen_on, c._file_name
    from {{ ref('stg_police__deso_crimes') }} as c
    left join {{ ref('category_mapping') }} as m
        on m.source = 'police_deso' and m.source_type = c.crime_code
    where m.category is null
),

police_events as (
    select 'police_events' as source, e.event_type as source_type, cast(e.published_at as date) as seen_on, e._file_name
    from {{ ref('stg_police__events') }} as e
    left join {{ ref('category_mapping') }} as m
        on m.source = 'police_events' and m.source_type = e.event_type
    where m.category is null and not e.is_summary
),

unmapped as (
    select * from events
    union all select * from checklist
    union all select * from deso
    union all select * from police_events
)

select
    source,
    coalesce(source_type, '(blank)') as source_type,
    cast(count(*) as integer) as rows_unmapped,
    min(seen_on) as first_seen_on,
    max(seen_on) as last_seen_on,
    cast(count(distinct _file_name) as integer) as files,
    min(_file_name) as example_file_name
from unmapped
group by source, coalesce(source_type, '(blank)')
