{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['period'],
    pre_hook="{{ delete_partition_window('period_start') }}",
) }}

{#- Area (and place with enough events) × analysis period: the emerging-hot-spot class
    (docs block `hot_spot_rule`). Per period a Poisson test says whether the unit was hot;
    over the trailing `hot_spot_periods` periods (8, the latest included) a Mann–Kendall
    test says whether its counts trend up or down; the class combines the two.
    place_id is null on area rows. -#}

{%- set periods_back = var('hot_spot_periods', 8) - 1 -%}
{%- set alpha = var('hot_spot_alpha', 0.05) -%}
{%- set trend_alpha = var('hot_spot_trend_alpha', 0.05) -%}
{%- set min_trend_periods = var('hot_spot_min_trend_periods', 4) -%}

with periods as (
    select *
    from {{ ref('int_analysis_periods') }}
    where period_start >= {{ est_period_shift(window_start(), -periods_back) }}
        and period_start < {{ window_end() }}
),

area_counts as (
    select
        area_id,
        municipality_code,
        period_start,
        period_end,
        period_label,
        max(population) as population,
        sum(events) as events
    from {{ ref('int_period_area_category_events') }}
    where period_start in (select period_start from periods)
    group by 1, 2, 3, 4, 5
),

-- Expected for an area: the municipality's events per resident that period × its residents.
area_units as (
    select
        'area' as unit_type,
        area_id as unit_id,
        area_id,
        cast(null as varchar) as place_id,
        municipality_code,
        period_start,
        period_end,
        period_label,
        events,
        sum(case when population > 0 then events end) over muni * 1.0
            / nullif(sum(case when population > 0 then population end) over muni, 0)
            * population as expected_events
    from area_counts
    window muni as (partition by municipality_code, period_start)
),

places as (
    select p.place_id, p.area_id, a.municipality_code
    from {{ ref('stg_reference__places') }} as p
    inner join {{ ref('int_areas') }} as a on a.area_id = p.area_id
),

place_counts as (
    select
        place_id,
        {{ est_period_start('event_date') }} as period_start,
        count(*) as events
    from {{ ref('int_events__deduplicated') }}
    where is_counted and place_id is not null
        and event_date >= (select min(period_start) from periods)
        and event_date < (select max(period_end) from periods)
    group by 1, 2
),

-- Expected for a place: the municipality's place-located events that period shared equally
-- over its places (places have no residents; each is one unit of exposure).
place_units as (
    select
        'place' as unit_type,
        pl.place_id as unit_id,
        pl.area_id,
        pl.place_id,
        pl.municipality_code,
        pe.period_start,
        pe.period_end,
        pe.period_label,
        coalesce(c.events, 0) as events,
        sum(coalesce(c.events, 0)) over muni * 1.0 / count(*) over muni as expected_events
    from places as pl
    cross join periods as pe
    left join place_counts as c on c.place_id = pl.place_id and c.period_start = pe.period_start
    window muni as (partition by pl.municipality_code, pe.period_start)
),

units as (
    select * from area_units
    union all
    select * from place_units
),

tested as (
    select
        *,
        -- Fractional incidents (DeSO crimes spread by share) are tested as the nearest count.
        {{ est_poisson_upper_tail('round(events)', 'expected_events') }} as p_value
    from units
),

flagged as (
    select *, coalesce(p_value < {{ alpha }}, false) as is_hot
    from tested
),

targets as (
    select *
    from flagged
    where period_start >= {{ window_start() }} and period_start < {{ window_end() }}
),

-- Each target period with the periods of its trailing window (the target included).
history as (
    select
        t.unit_type,
        t.unit_id,
        t.period_start,
        h.period_start as history_period_start,
        h.events as history_events,
        h.is_hot as history_is_hot
    from targets as t
    inner join flagged as h
        on h.unit_type = t.unit_type
        and h.unit_id = t.unit_id
        and h.period_start <= t.period_start
        and h.period_start >= {{ est_period_shift('t.period_start', -periods_back) }}
),

window_summary as (
    select
        unit_type,
        unit_id,
        period_start,
        count(*) as periods_in_window,
        count(*) filter (where history_is_hot) as hot_periods,
        count(*) filter (where history_is_hot and history_period_start < period_start) as prior_hot_periods,
        sum(history_events) as window_events
    from history
    group by 1, 2, 3
),

-- Mann–Kendall S: over every pair of periods (earlier, later), +1 when the later count is
-- higher, -1 when lower.
mk_pairs as (
    select
        a.unit_type,
        a.unit_id,
        a.period_start,
        sum(sign(b.history_events - a.history_events)) as mk_s
    from history as a
    inner join history as b
        on b.unit_type = a.unit_type
        and b.unit_id = a.unit_id
        and b.period_start = a.period_start
        and b.history_period_start > a.history_period_start
    group by 1, 2, 3
),

-- Ties lower the variance of S: sum over groups of equal counts of t(t-1)(2t+5).
mk_ties as (
    select unit_type, unit_id, period_start, sum(t * (t - 1) * (2 * t + 5)) as tie_term
    from (
        select unit_type, unit_id, period_start, history_events, count(*) as t
        from history
        group by 1, 2, 3, 4
    )
    group by 1, 2, 3
),

trend as (
    select
        w.*,
        coalesce(p.mk_s, 0) as mk_s,
        (w.periods_in_window * (w.periods_in_window - 1) * (2 * w.periods_in_window + 5) - coalesce(k.tie_term, 0))
            / 18.0 as mk_variance
    from window_summary as w
    left join mk_pairs as p
        on p.unit_type = w.unit_type and p.unit_id = w.unit_id and p.period_start = w.period_start
    left join mk_ties as k
        on k.unit_type = w.unit_type and k.unit_id = w.unit_id and k.period_start = w.period_start
),

trend_z as (
    select
        *,
        case
            when periods_in_window < {{ min_trend_periods }} or mk_variance <= 0 then null
            when mk_s > 0 then (mk_s - 1) / sqrt(mk_variance)
            when mk_s < 0 then (mk_s + 1) / sqrt(mk_variance)
            else 0.0
        end as mk_z
    from trend
),

trend_tested as (
    select
        *,
        2 * (1 - {{ est_normal_cdf('abs(mk_z)') }}) as mk_p_value
    from trend_z
),

combined as (
    select
        t.*,
        w.periods_in_window,
        w.hot_periods,
        w.prior_hot_periods,
        w.window_events,
        w.hot_periods * 1.0 / w.periods_in_window as hot_share,
        w.prior_hot_periods * 1.0 / nullif(w.periods_in_window - 1, 0) as prior_hot_share,
        w.mk_s,
        w.mk_z,
        w.mk_p_value,
        case
            when w.mk_p_value < {{ trend_alpha }} and w.mk_s > 0 then 'up'
            when w.mk_p_value < {{ trend_alpha }} and w.mk_s < 0 then 'down'
            else 'none'
        end as trend
    from targets as t
    inner join trend_tested as w
        on w.unit_type = t.unit_type and w.unit_id = t.unit_id and w.period_start = t.period_start
    -- Places need enough events in the window for the tests to mean anything.
    where t.unit_type = 'area' or w.window_events >= {{ var('hot_spot_min_place_events', 10) }}
)

select
    unit_type,
    unit_id,
    area_id,
    place_id,
    municipality_code,
    period_start,
    period_end,
    period_label,
    cast(round(events, 4) as double) as events,
    expected_events,
    p_value,
    is_hot,
    cast(periods_in_window as integer) as periods_in_window,
    cast(hot_periods as integer) as hot_periods,
    hot_share,
    cast(prior_hot_periods as integer) as prior_hot_periods,
    prior_hot_share,
    cast(round(window_events, 4) as double) as window_events,
    cast(mk_s as integer) as mk_s,
    mk_z,
    mk_p_value,
    trend,
    case
        when is_hot and prior_hot_periods = 0 then 'new'
        when hot_share >= 0.75 and trend = 'up' then 'intensifying'
        when hot_share >= 0.75 and trend = 'down' then 'diminishing'
        when hot_share >= 0.75 then 'persistent'
        when is_hot and trend = 'up' then 'emerging'
        when not is_hot and prior_hot_share >= 0.5 then 'former'
        else 'none'
    end as hot_spot_class
from combined
