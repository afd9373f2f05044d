{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['yearly'],
    pre_hook="{{ delete_partition_window('year_start') }}",
) }}

{#- Area × calendar year (uppföljning): outcome trends, the safety survey and the
    interventions carried out. Only years the data covers completely (int_data_years), so
    a year is never compared on a few days. Survey groups smaller than var
    survey_min_group_size (setting EST_SURVEY_MIN_GROUP_SIZE, default 10) are suppressed:
    share and respondent count are null and survey_suppressed is true (an area with no
    responses at all shows 0 respondents, not suppressed). -#}

{%- set min_group = var('survey_min_group_size', 10) | int -%}

-- The run's years, plus the year before each (for the change from last year).
with all_years as (
    select year_start, year_start >= {{ window_start() }} and year_start < {{ window_end() }} as in_window
    from {{ ref('int_data_years') }}
    where year_start >= {{ window_start() }} - {{ est_interval(1, 'year') }} and year_start < {{ window_end() }}
),

areas as (
    select area_id, area_name, municipality_code from {{ ref('int_areas') }}
),

-- Residents in the calendar year (the rule: int_area_year_population).
population as (
    select area_id, year, population from {{ ref('int_area_year_population') }}
),

grid as (
    select
        a.area_id,
        a.area_name,
        a.municipality_code,
        y.year_start,
        y.in_window,
        cast(year(y.year_start) as integer) as year,
        p.population
    from areas as a
    cross join all_years as y
    left join population as p
        on p.area_id = a.area_id and p.year = year(y.year_start)
),

-- Incidents: deduplicated events plus the crimes only the police's DeSO extract knows
-- (spread by population share, so fractional). Police crimes: every incident of the police's
-- local extract plus those DeSO crimes (docs block police_crimes_rule).
incidents as (
    select area_id, event_date, outcome_group, 1.0 as incidents, 0.0 as police_crimes
    from {{ ref('int_events__deduplicated') }}
    where is_counted
    union all
    select area_id, event_date, outcome_group, 0.0 as incidents, 1.0 as police_crimes
    from {{ ref('int_events__deduplicated') }}
    where source = 'police_local' and category is not null
    union all
    select d.area_id, d.event_date, c.outcome_group, d.crimes as incidents, d.crimes as police_crimes
    from {{ ref('int_police_deso_crimes_in_areas') }} as d
    inner join {{ ref('categories') }} as c on c.category = d.category
),

events as (
    select
        area_id,
        cast(date_trunc('year', event_date) as date) as year_start,
        sum(incidents) as events_total,
        sum(incidents) filter (where outcome_group = 'property') as events_property,
        sum(incidents) filter (where outcome_group = 'disorder') as events_disorder,
        sum(incidents) filter (where outcome_group = 'violence') as events_violence,
        sum(police_crimes) as police_crimes
    from incidents
    where area_id is not null
        and event_date >= (select min(year_start) from all_years)
        and event_date < (select max(year_start) + {{ est_interval(1, 'year') }} from all_years)
    group by 1, 2
),

with_events as (
    select
        g.*,
        coalesce(e.events_total, 0) as events_total,
        coalesce(e.events_property, 0) as events_property,
        coalesce(e.events_disorder, 0) as events_disorder,
        coalesce(e.events_violence, 0) as events_violence,
        coalesce(e.police_crimes, 0) as police_crimes,
        coalesce(e.events_total, 0) * 1000.0 / nullif(g.population, 0) as events_per_1000
    from grid as g
    left join events as e on e.area_id = g.area_id and e.year_start = g.year_start
),

trended as (
    select
        *,
        lag(events_per_1000) over (partition by area_id order by year_start) as previous_events_per_1000,
        lag(year_start) over (partition by area_id order by year_start) as previous_year_start,
        sum(case when population > 0 then events_total end) over muni * 1000.0
            / nullif(sum(case when population > 0 then population end) over muni, 0)
            as municipality_events_per_1000
    from with_events
    window muni as (partition by municipality_code, year_start)
),

-- Survey (trygghetsmätning): feeling safe = answering 3 (ganska trygg) or 4 (mycket
-- trygg) on the 1–4 scale; answers outside 1–4 or blank are not counted as answers.
survey as (
    select
        area_id,
        survey_year,
        count(*) filter (where safe_evening between 1 and 4) as respondents_evening,
        count(*) filter (where safe_evening between 3 and 4) as safe_evening_count,
        count(*) filter (where safe_daytime between 1 and 4) as respondents_daytime,
        count(*) filter (where safe_daytime between 3 and 4) as safe_daytime_count
    from {{ ref('stg_municipality__safety_survey') }}
    group by 1, 2
),

intervention_weeks as (
    select
        area_id,
        cast(date_trunc('year', week_start) as date) as year_start,
        count(distinct intervention_id) as interventions_count,
        count(*) as intervention_weeks,
        count(distinct week_start) as weeks_with_intervention,
        {{ est_string_agg('intervention_type', "', '", distinct=true) }} as intervention_types
    from {{ ref('area_week_interventions') }}
    group by 1, 2
),

-- Cost is booked in the year the intervention started (the register has one total cost).
intervention_costs as (
    select
        area_id,
        cast(date_trunc('year', started_on) as date) as year_start,
        count(*) as interventions_started,
        sum(cost_sek) as intervention_cost_sek
    from {{ ref('int_interventions_validated') }}
    where is_valid
    group by 1, 2
)

select
    t.area_id,
    t.area_name,
    t.municipality_code,
    t.year_start,
    t.year,
    cast(t.population as integer) as population,
    cast(round(t.events_total, 4) as double) as events_total,
    cast(round(t.events_property, 4) as double) as events_property,
    cast(round(t.events_disorder, 4) as double) as events_disorder,
    cast(round(t.events_violence, 4) as double) as events_violence,
    cast(round(t.police_crimes, 4) as double) as police_crimes,
    t.police_crimes * 1000.0 / nullif(t.population, 0) as police_crimes_per_1000,
    t.events_per_1000,
    t.events_property * 1000.0 / nullif(t.population, 0) as events_property_per_1000,
    t.events_disorder * 1000.0 / nullif(t.population, 0) as events_disorder_per_1000,
    t.events_violence * 1000.0 / nullif(t.population, 0) as events_violence_per_1000,
    t.municipality_events_per_1000,
    case when t.previous_year_start = t.year_start - {{ est_interval(1, 'year') }} then t.previous_events_per_1000 end
        as previous_events_per_1000,
    case when t.previous_year_start = t.year_start - {{ est_interval(1, 'year') }} then
        t.events_per_1000 / nullif(t.previous_events_per_1000, 0) - 1 end as events_per_1000_change,
    coalesce(s.respondents_evening, 0) between 1 and {{ min_group - 1 }} as survey_suppressed,
    cast(case
        when coalesce(s.respondents_evening, 0) = 0 then 0
        when s.respondents_evening >= {{ min_group }} then s.respondents_evening
    end as integer) as survey_respondents,
    case when s.respondents_evening >= {{ min_group }} then s.safe_evening_count * 1.0 / s.respondents_evening end
        as survey_share_safe,
    case when s.respondents_daytime >= {{ min_group }} then s.safe_daytime_count * 1.0 / s.respondents_daytime end
        as survey_share_safe_daytime,
    cast(coalesce(i.interventions_count, 0) as integer) as interventions_count,
    cast(coalesce(i.intervention_weeks, 0) as integer) as intervention_weeks,
    cast(coalesce(i.weeks_with_intervention, 0) as integer) as weeks_with_intervention,
    i.intervention_types,
    cast(coalesce(c.interventions_started, 0) as integer) as interventions_started,
    coalesce(c.intervention_cost_sek, 0) as intervention_cost_sek
from trended as t
left join survey as s on s.area_id = t.area_id and s.survey_year = t.year
left join intervention_weeks as i on i.area_id = t.area_id and i.year_start = t.year_start
left join intervention_costs as c on c.area_id = t.area_id and c.year_start = t.year_start
where t.in_window
