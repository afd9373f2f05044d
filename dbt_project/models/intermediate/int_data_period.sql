{#- The weeks the data covers: the union of every feed's period, from the first to the last
    week with any data of this deployment's municipalities (area-level events, checklist
    ratings, police crimes by registration date, police events-API records), never beyond
    the current week. One row. Grids (area × week) span this period so every week inside it
    is present, zeros included; "open-ended" interventions run to its last week.

    The last complete week is the latest week whose Sunday the data reaches (a checklist
    rating covers its whole week), and never the week in progress: reports and the runner
    stop there, so a week that is still being delivered is not shown as a quiet week. -#}

with data_dates as (
    select event_date as first_date, event_date as last_date
    from {{ ref('int_events__unioned') }}
    union all
    select week_start, cast({{ est_add_days('week_start', 6) }} as date)
    from {{ ref('stg_partners__checklist_ratings') }}
    union all
    select registered_on, registered_on
    from {{ ref('int_police_deso_records') }}
    where is_current and is_own_municipality
    union all
    select event_date, event_date
    from {{ ref('int_police_events_records') }}
    where is_current and is_own_municipality
),

bounds as (
    select
        min(first_date) as first_date,
        {{ est_least(['max(last_date)', 'current_date']) }} as last_date
    from data_dates
    where first_date is not null and last_date is not null
)

select
    {{ week_start('first_date') }} as first_week_start,
    least({{ week_start('last_date') }}, {{ week_start('current_date') }}) as last_week_start,
    least(
        case
            when {{ est_isodow('last_date') }} = 7 then {{ week_start('last_date') }}
            else cast({{ est_add_days(week_start('last_date'), -7) }} as date)
        end,
        cast({{ est_add_days(week_start('current_date'), -7) }} as date)
    ) as last_complete_week_start,
    first_date,
    last_date
from bounds
where first_date is not null
