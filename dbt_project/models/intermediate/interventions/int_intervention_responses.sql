{{ config(materialized='ephemeral') }}

{#- How each area responded to its earlier interventions: one row per valid intervention.
    An intervention "responded" when the area's weekly events in the outcome group the
    intervention targets (intervention_types seed; safety walks target the total) were
    lower, on average, over its first `response_during_weeks` active weeks (13: a quarter)
    than over the `response_before_weeks` weeks (8) before it started. It can be judged
    from the Monday after that first stretch ends (`evaluated_from`), and only with at least
    4 weeks on each side; an intervention that ended sooner is judged on the weeks it ran.
    Active weeks come from marts.area_week_interventions, the one definition of "active". -#}

{%- set before_weeks = var('response_before_weeks', 8) -%}
{%- set during_weeks = var('response_during_weeks', 13) -%}
{%- set min_weeks = var('response_min_weeks', 4) -%}

with interventions as (
    select intervention_id, area_id, intervention_type, target_outcome_group, started_on, ended_on
    from {{ ref('int_interventions_validated') }}
    where is_valid
),

active as (
    select
        intervention_id,
        area_id,
        week_start,
        row_number() over (partition by intervention_id order by week_start) as active_week_number
    from {{ ref('area_week_interventions') }}
),

during_weeks as (
    select * from active where active_week_number <= {{ during_weeks }}
),

outcomes as (
    select area_id, week_start, outcome_group, events
    from {{ ref('area_week_outcomes') }}
),

during as (
    select
        d.intervention_id,
        min(d.week_start) as first_active_week,
        max(d.week_start) as last_judged_week,
        count(*) as during_weeks,
        avg(o.events) as during_events_per_week
    from during_weeks as d
    inner join interventions as i on i.intervention_id = d.intervention_id
    left join outcomes as o
        on o.area_id = d.area_id and o.week_start = d.week_start and o.outcome_group = i.target_outcome_group
    group by d.intervention_id
),

before as (
    select
        i.intervention_id,
        count(o.week_start) as before_weeks,
        avg(o.events) as before_events_per_week
    from interventions as i
    inner join during as d on d.intervention_id = i.intervention_id
    inner join outcomes as o
        on o.area_id = i.area_id
        and o.outcome_group = i.target_outcome_group
        and o.week_start >= d.first_active_week - {{ 7 * before_weeks }}
        and o.week_start < d.first_active_week
    group by i.intervention_id
)

select
    i.intervention_id,
    i.area_id,
    i.intervention_type,
    i.target_outcome_group,
    d.first_active_week,
    cast(d.during_weeks as integer) as during_weeks,
    d.during_events_per_week,
    cast(coalesce(b.before_weeks, 0) as integer) as before_weeks,
    b.before_events_per_week,
    cast({{ est_add_days('d.last_judged_week', 7) }} as date) as evaluated_from,
    coalesce(b.before_weeks, 0) >= {{ min_weeks }}
        and d.during_weeks >= {{ min_weeks }}
        and (d.during_weeks = {{ during_weeks }} or i.ended_on < {{ est_add_days('d.last_judged_week', 7) }}) as is_evaluable,
    d.during_events_per_week < b.before_events_per_week as responded
from interventions as i
inner join during as d on d.intervention_id = i.intervention_id
left join before as b on b.intervention_id = i.intervention_id
