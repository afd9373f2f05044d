{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['period'],
    pre_hook="{{ delete_partition_window('period_start') }}",
) }}

{#- Area × analysis period × driving category × suggested intervention type × responsible
    partner: for each category that drives an area's need (period_priority_drivers.is_driver),
    the interventions the analysts' seed recommended_interventions lists for it, with the
    partner who owns each (identifikation av samverkansparter). Editing the seed changes
    the suggestions at the next run; no code involved. -#}

with drivers as (
    select *
    from {{ ref('period_priority_drivers') }}
    where is_driver and period_start >= {{ window_start() }} and period_start < {{ window_end() }}
),

priorities as (
    select area_id, period_start, priority_rank, quadrant
    from {{ ref('period_prioritisation') }}
    where period_start >= {{ window_start() }} and period_start < {{ window_end() }}
),

recommended as (
    select
        r.category,
        r.intervention_type,
        lower(trim(r.responsible_partner)) as responsible_partner,
        r.rationale_sv,
        t.intervention_type_sv
    from {{ ref('recommended_interventions') }} as r
    left join {{ ref('intervention_types') }} as t on t.intervention_type = r.intervention_type
    where coalesce(trim(r.responsible_partner), '') <> ''
),

-- Interventions of the same type already active in the area during the period.
active as (
    select area_id, intervention_type, week_start
    from {{ ref('area_week_interventions') }}
)

select
    d.area_id,
    d.area_name,
    d.municipality_code,
    d.period_start,
    d.period_end,
    d.period_label,
    p.priority_rank,
    p.quadrant,
    d.category,
    d.category_sv,
    d.driver_rank,
    cast(round(d.events, 4) as double) as events,
    d.excess_events,
    r.intervention_type,
    r.intervention_type_sv,
    r.responsible_partner,
    r.rationale_sv,
    exists (
        select 1 from active as a
        where a.area_id = d.area_id
            and a.intervention_type = r.intervention_type
            and a.week_start >= d.period_start and a.week_start < d.period_end
    ) as already_active
from drivers as d
inner join recommended as r on r.category = d.category
left join priorities as p on p.area_id = d.area_id and p.period_start = d.period_start
