{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['yearly'],
    pre_hook="{{ delete_partition_window('year_start') }}",
) }}

{#- Intervention type × municipality × calendar year: where and how long each type ran, what it cost, and
    the estimated association from marts.intervention_effects (the estimation concern, one
    yearly partition = all data up to the year's end, period_end exclusive).

    The estimates table is written by Python after the dbt marts, so on a first run it may
    not exist. Rather than create an empty placeholder (whose columns could drift from what
    the estimation writes), this model asks the warehouse whether the table is there and,
    if not, leaves the estimate columns null; the next yearly run after the estimation
    fills them. The source() call below is unconditional so dbt (and Dagster) always know
    the dependency. Of the headline estimates (is_headline) for the type, the one for the
    year is taken (its period ends in the year: year(period_end - 1 day), or its `year`
    column says so), preferring the outcome group the type targets, then the total, then
    the longest period. Each municipality's rows hold only its own interventions and its own
    estimates (the estimation runs per municipality), so its published file can carry them. -#}

{%- set effects_source = source('estimates', 'intervention_effects') -%}
{%- set effects_relation = none -%}
{%- set effects_columns = [] -%}
{#- `dbt compile --no-introspect` (the portability test) cannot ask; it assumes no table. -#}
{%- if execute and flags.INTROSPECT != false -%}
    {%- set effects_relation = adapter.get_relation(
        database=effects_source.database,
        schema=effects_source.schema,
        identifier=effects_source.identifier) -%}
    {%- if effects_relation is not none -%}
        {%- set effects_columns = adapter.get_columns_in_relation(effects_relation) | map(attribute='name') | map('lower') | list -%}
    {%- endif -%}
{%- endif -%}

-- The run's years among those the data covers completely.
with years as (
    select year_start
    from {{ ref('int_data_years') }}
    where year_start >= {{ window_start() }} and year_start < {{ window_end() }}
),

types as (
    select intervention_type, intervention_type_sv, target_outcome_group
    from {{ ref('intervention_types') }}
),

areas as (
    select area_id, municipality_code, municipality_name
    from {{ ref('int_areas') }}
),

municipalities as (
    select distinct municipality_code, municipality_name
    from areas
),

weeks as (
    select
        w.intervention_type,
        a.municipality_code,
        cast(date_trunc('year', w.week_start) as date) as year_start,
        w.intervention_id,
        w.area_id,
        w.week_start,
        w.intensity
    from {{ ref('area_week_interventions') }} as w
    inner join areas as a on a.area_id = w.area_id
),

by_intervention as (
    select intervention_type, municipality_code, year_start, intervention_id, count(*) as weeks_active
    from weeks
    group by 1, 2, 3, 4
),

ran as (
    select
        w.intervention_type,
        w.municipality_code,
        w.year_start,
        count(distinct w.intervention_id) as interventions_count,
        count(distinct w.area_id) as areas_count,
        {{ est_string_agg('w.area_id', "', '", distinct=true) }} as areas,
        count(distinct (w.area_id, w.week_start)) as area_weeks,
        count(*) as intervention_weeks,
        avg(w.intensity) as mean_intensity
    from weeks as w
    group by 1, 2, 3
),

durations as (
    select
        intervention_type,
        municipality_code,
        year_start,
        avg(weeks_active) as mean_weeks_per_intervention,
        max(weeks_active) as max_weeks_per_intervention
    from by_intervention
    group by 1, 2, 3
),

-- Cost is booked in the year the intervention started (the register has one total cost).
started as (
    select
        v.intervention_type,
        a.municipality_code,
        cast(date_trunc('year', v.started_on) as date) as year_start,
        count(*) as interventions_started,
        sum(v.cost_sek) as cost_sek
    from {{ ref('int_interventions_validated') }} as v
    inner join areas as a on a.area_id = v.area_id
    where v.is_valid
    group by 1, 2, 3
),

ended as (
    select
        v.intervention_type,
        a.municipality_code,
        cast(date_trunc('year', v.ended_on) as date) as year_start,
        count(*) as interventions_ended
    from {{ ref('int_interventions_validated') }} as v
    inner join areas as a on a.area_id = v.area_id
    where v.is_valid and v.ended_on is not null
    group by 1, 2, 3
),

{% if effects_relation is not none %}
effects as (
    select intervention_type, municipality_code, year_start, outcome_group, estimator, irr, ci_low, ci_high,
        p_value, q_value
    from (
        select
            e.intervention_type,
            {% if 'municipality_code' in effects_columns -%}
            e.municipality_code,
            {%- else -%}
            cast(null as varchar) as municipality_code,
            {%- endif %}
            y.year_start,
            e.outcome_group,
            e.estimator,
            e.irr,
            e.ci_low,
            e.ci_high,
            e.p_value,
            e.q_value,
            row_number() over (
                partition by e.intervention_type, {% if 'municipality_code' in effects_columns %}e.municipality_code, {% endif %}y.year_start
                order by
                    (e.outcome_group = t.target_outcome_group) desc,
                    (e.outcome_group = 'total') desc,
                    e.outcome_group,
                    {% if 'period_start' in effects_columns %}e.period_start,{% endif %}
                    e.estimator
            ) as headline_rank
        from {{ effects_source }} as e
        inner join types as t on t.intervention_type = e.intervention_type
        inner join years as y
            on {% if 'year' in effects_columns -%}
                e.year = year(y.year_start)
            {%- else -%}
                year({{ est_add_days('cast(e.period_end as date)', -1) }}) = year(y.year_start)
            {%- endif %}
        where e.is_headline
    ) as ranked
    where headline_rank = 1
),
{% else %}
effects as (
    select
        cast(null as varchar) as intervention_type,
        cast(null as varchar) as municipality_code,
        cast(null as date) as year_start,
        cast(null as varchar) as outcome_group,
        cast(null as varchar) as estimator,
        cast(null as double) as irr,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high,
        cast(null as double) as p_value,
        cast(null as double) as q_value
    where false
),
{% endif %}

grid as (
    select t.*, m.municipality_code, m.municipality_name, y.year_start, cast(year(y.year_start) as integer) as year
    from types as t
    cross join municipalities as m
    cross join years as y
)

select
    g.intervention_type,
    g.intervention_type_sv,
    g.target_outcome_group,
    g.year_start,
    g.year,
    cast(coalesce(r.interventions_count, 0) as integer) as interventions_count,
    cast(coalesce(s.interventions_started, 0) as integer) as interventions_started,
    cast(coalesce(e.interventions_ended, 0) as integer) as interventions_ended,
    cast(coalesce(r.areas_count, 0) as integer) as areas_count,
    r.areas,
    cast(coalesce(r.area_weeks, 0) as integer) as area_weeks,
    cast(coalesce(r.intervention_weeks, 0) as integer) as intervention_weeks,
    d.mean_weeks_per_intervention,
    cast(d.max_weeks_per_intervention as integer) as max_weeks_per_intervention,
    r.mean_intensity,
    coalesce(s.cost_sek, 0) as cost_sek,
    x.outcome_group as estimate_outcome_group,
    x.estimator,
    x.irr,
    x.ci_low,
    x.ci_high,
    x.p_value,
    x.q_value,
    x.irr is not null as has_estimate,
    g.municipality_code,
    g.municipality_name
from grid as g
left join ran as r
    on r.intervention_type = g.intervention_type and r.municipality_code = g.municipality_code
    and r.year_start = g.year_start
left join durations as d
    on d.intervention_type = g.intervention_type and d.municipality_code = g.municipality_code
    and d.year_start = g.year_start
left join started as s
    on s.intervention_type = g.intervention_type and s.municipality_code = g.municipality_code
    and s.year_start = g.year_start
left join ended as e
    on e.intervention_type = g.intervention_type and e.municipality_code = g.municipality_code
    and e.year_start = g.year_start
-- Estimates written before they carried a municipality (NULL) belong to every municipality.
left join effects as x
    on x.intervention_type = g.intervention_type
    and coalesce(x.municipality_code, g.municipality_code) = g.municipality_code
    and x.year_start = g.year_start
