{#- The weeks the data covers: from the first to the last week with any area-level event or
    checklist rating, never beyond the current week. One row. Grids (area × week) span this
    period so every week inside it is present, zeros included; "open-ended" interventions
    run to its last week. -#}

with weeks as (
    select week_start from {{ ref('int_events__unioned') }} where week_start is not null
    union all
    select week_start from {{ ref('stg_partners__checklist_ratings') }} where week_start is not null
)

select
    min(week_start) as first_week_start,
    least(max(week_start), {{ week_start('current_date') }}) as last_week_start
from weeks
having count(*) > 0
