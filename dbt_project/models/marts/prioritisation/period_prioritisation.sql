{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['period'],
    pre_hook="{{ delete_partition_window('period_start') }}",
) }}

{#- Area × analysis period: need, influence, quadrant and rank (docs block
    `prioritisation_measures` has every formula in words). Every area of the reference
    data has a row for every complete period in the run's window. -#}

{%- set trend_periods = var('trend_periods', 4) -%}
{%- set response_weight = var('influence_response_weight', 0.3) -%}

with cells as (
    select * from {{ ref('int_period_area_category_events') }}
),

areas as (
    select
        area_id,
        area_name,
        municipality_code,
        period_start,
        period_end,
        period_label,
        max(population) as population,
        sum(events) as events,
        sum(events) filter (where situational) as situational_events,
        sum(events) filter (where situational and has_responsible_partner) as addressable_events
    from cells
    group by 1, 2, 3, 4, 5, 6
),

municipality as (
    select
        municipality_code,
        period_start,
        sum(events) as municipality_events,
        sum(population) as municipality_population
    from areas
    where population > 0
    group by 1, 2
),

rated as (
    select
        a.*,
        a.events * 1000.0 / nullif(a.population, 0) as events_per_1000,
        m.municipality_events * 1000.0 / nullif(m.municipality_population, 0) as municipality_events_per_1000
    from areas as a
    left join municipality as m
        on m.municipality_code is not distinct from a.municipality_code and m.period_start = a.period_start
),

trended as (
    select
        *,
        avg(events_per_1000) over (
            partition by area_id order by period_start
            rows between {{ trend_periods }} preceding and 1 preceding
        ) as previous_events_per_1000,
        count(events_per_1000) over (
            partition by area_id order by period_start
            rows between {{ trend_periods }} preceding and 1 preceding
        ) as previous_periods
    from rated
),

in_window as (
    select
        *,
        events_per_1000 / nullif(municipality_events_per_1000, 0) as load_ratio,
        events_per_1000 / nullif(previous_events_per_1000, 0) as trend_ratio
    from trended
    where period_start >= {{ window_start() }} and period_start < {{ window_end() }}
),

responses as (
    select
        w.area_id,
        w.period_start,
        count(*) as interventions_evaluated,
        count(*) filter (where r.responded) as interventions_responded
    from in_window as w
    inner join {{ ref('int_intervention_responses') }} as r
        on r.area_id = w.area_id and r.is_evaluable and r.evaluated_from <= w.period_start
    group by 1, 2
),

active as (
    select
        w.area_id,
        w.period_start,
        count(distinct i.intervention_id) as interventions_active,
        {{ est_string_agg('i.intervention_type', "', '", distinct=true) }} as intervention_types_active
    from in_window as w
    inner join {{ ref('area_week_interventions') }} as i
        on i.area_id = w.area_id and i.week_start >= w.period_start and i.week_start < w.period_end
    group by 1, 2
),

drivers as (
    select
        area_id,
        period_start,
        {{ est_string_agg('category', "', '", 'driver_rank') }} as top_drivers
    from {{ ref('period_priority_drivers') }}
    where is_driver and period_start >= {{ window_start() }} and period_start < {{ window_end() }}
    group by 1, 2
),

measured as (
    select
        w.*,
        coalesce(w.situational_events, 0) * 1.0 / nullif(w.events, 0) as situational_share_raw,
        coalesce(w.addressable_events, 0) * 1.0 / nullif(w.events, 0) as addressable_share_raw,
        coalesce(r.interventions_evaluated, 0) as interventions_evaluated,
        coalesce(r.interventions_responded, 0) as interventions_responded,
        r.interventions_responded * 1.0 / nullif(r.interventions_evaluated, 0) as response_score,
        least(greatest(coalesce(w.trend_ratio, 1.0), {{ var('trend_factor_min', 0.8) }}),
            {{ var('trend_factor_max', 1.25) }}) as trend_factor,
        coalesce(a.interventions_active, 0) as interventions_active,
        a.intervention_types_active,
        d.top_drivers
    from in_window as w
    left join responses as r on r.area_id = w.area_id and r.period_start = w.period_start
    left join active as a on a.area_id = w.area_id and a.period_start = w.period_start
    left join drivers as d on d.area_id = w.area_id and d.period_start = w.period_start
),

scored as (
    select
        *,
        coalesce(situational_share_raw, 0) as situational_share,
        coalesce(addressable_share_raw, 0) as addressable_share,
        load_ratio * trend_factor as need,
        (1 - {{ response_weight }}) * coalesce(addressable_share_raw, 0)
            + {{ response_weight }} * coalesce(response_score, 0.5) as influence
    from measured
),

classified as (
    select
        *,
        coalesce(need >= {{ var('high_need_threshold', 1.0) }}, false) as is_high_need,
        influence >= {{ var('high_influence_threshold', 0.5) }} as is_high_influence
    from scored
),

quadrants as (
    select
        *,
        case
            when is_high_need and is_high_influence then 'high_need_high_influence'
            when is_high_need then 'high_need_low_influence'
            when is_high_influence then 'low_need_high_influence'
            else 'low_need_low_influence'
        end as quadrant,
        case
            when is_high_need and is_high_influence then 1
            when is_high_need then 2
            when is_high_influence then 3
            else 4
        end as quadrant_order
    from classified
)

select
    area_id,
    area_name,
    municipality_code,
    period_start,
    period_end,
    period_label,
    population,
    cast(round(events, 4) as double) as events,
    events_per_1000,
    municipality_events_per_1000,
    load_ratio,
    previous_events_per_1000,
    cast(previous_periods as integer) as previous_periods,
    trend_ratio,
    trend_factor,
    need,
    situational_share,
    addressable_share,
    cast(interventions_evaluated as integer) as interventions_evaluated,
    cast(interventions_responded as integer) as interventions_responded,
    response_score,
    influence,
    is_high_need,
    is_high_influence,
    quadrant,
    cast(quadrant_order as integer) as quadrant_order,
    cast(row_number() over (
        partition by municipality_code, period_start
        order by quadrant_order, need desc nulls last, influence desc, area_id
    ) as integer) as priority_rank,
    top_drivers,
    cast(interventions_active as integer) as interventions_active,
    intervention_types_active
from quadrants
