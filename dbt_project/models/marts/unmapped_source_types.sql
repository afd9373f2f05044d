{#- Every partner event type, checklist item, crime code or events-API type that no list
    decides on (the category_mapping seed; the police's code lists police_crime_codes and
    police_event_types, where every code is tracked or deliberately not tracked), with how
    many rows carry it and where it was seen. Those rows are not in the category counts; add
    a row to the right list and rebuild. The dbt test `has_category_mapping` warns about the
    same types. -#}

with events as (
    select source, source_type, event_date as seen_on, _file_name
    from {{ ref('int_events__harmonised') }}
    where category is null
),

checklist as (
    select 'checklist' as source, r.checklist_item as source_type, r.week_start as seen_on, r._file_name
    from {{ ref('stg_partners__checklist_ratings') }} as r
    left join {{ ref('category_mapping') }} as m
        on m.source = 'checklist' and m.source_type = r.checklist_item
    where m.category is null
),

deso as (
    select 'police_deso' as source, crime_code as source_type, event_date as seen_on, _file_name
    from {{ ref('int_police_deso_records') }}
    where is_current and decision is null
),

police_events as (
    select 'police_events' as source, event_type as source_type, event_date as seen_on, _file_name
    from {{ ref('int_police_events_records') }}
    where is_current and decision is null
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
