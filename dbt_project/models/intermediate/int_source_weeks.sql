{#- How many records each feed delivered for each week (by the week the record belongs to),
    for this deployment's municipalities. The weekly report uses it to say which feeds have
    nothing for a week ("inga rader"), so an empty week is never mistaken for a quiet one. -#}

with records as (
    select source, week_start from {{ ref('int_events__unioned') }}
    union all
    select 'checklist' as source, week_start from {{ ref('stg_partners__checklist_ratings') }}
    union all
    select 'police_deso' as source, week_start
    from {{ ref('int_police_deso_records') }}
    where is_current and is_own_municipality
    union all
    select 'police_events' as source, week_start
    from {{ ref('int_police_events_records') }}
    where is_current and is_own_municipality and decision is distinct from 'summary'
)

select
    source,
    week_start,
    cast(count(*) as integer) as records
from records
where week_start is not null
group by source, week_start
