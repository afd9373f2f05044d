{#- The weekly lägesbild: area × ISO week × category (docs block `weekly_situation`).
    Incremental on the partition window (vars min_date/max_date): the pre-hook deletes the
    window's weeks, this query inserts them again. The trailing baseline reads the previous
    weeks from int_area_week_category_events, never from this table. -#}

{%- set baseline_days = 7 * var('baseline_weeks') -%}

with history as (
    select *
    from {{ ref('int_area_week_category_events') }}
    where week_start >= {{ est_add_days_interval(window_start(), -baseline_days) }}
        and week_start < {{ window_end() }}
),

with_trailing as (
    select
        *,
        count(*) over baseline as baseline_weeks,
        sum(incidents_total) over baseline as baseline_events,
        sum(incidents_total) over previous_week as previous_week_events,
        count(*) over previous_week as previous_week_present
    from history
    window
        baseline as (
            partition by area_id, category order by week_start
            range between {{ est_interval(baseline_days, 'days') }} preceding and {{ est_interval(1, 'day') }} preceding
        ),
        previous_week as (
            partition by area_id, category order by week_start
            range between {{ est_interval(7, 'days') }} preceding and {{ est_interval(7, 'days') }} preceding
        )
),

current_weeks as (
    select
        *,
        case when baseline_weeks > 0 then baseline_events / baseline_weeks end as baseline_mean,
        -- Expected count for the exceedance rule: the baseline mean, smoothed by half an
        -- event so a quiet baseline (all zeros) does not make any single event "certain".
        case
            when baseline_weeks >= {{ var('min_baseline_weeks') }}
            then (baseline_events + 0.5) / baseline_weeks
        end as expected_events
    from with_trailing
    where {{ in_window('week_start') }}
),

checklist as (
    select * from {{ ref('int_checklist_area_week_category') }}
    where {{ in_window('week_start') }}
),

final as (
    select
        w.area_id,
        w.area_name,
        w.week_start,
        w.iso_year,
        w.iso_week,
        w.iso_week_label,
        w.category,
        w.category_sv,
        w.outcome_group,
        w.events_police,
        w.events_municipality,
        w.events_housing,
        w.events_reported,
        w.events_total,
        w.events_reported - w.events_total as cross_partner_duplicates,
        w.population,
        w.events_total * 1000.0 / nullif(w.population, 0) as events_per_1000,
        w.police_crimes,
        w.police_crimes_from_deso,
        w.incidents_total,
        coalesce(c.checklist_ratings, 0) as checklist_ratings,
        c.rating_max,
        c.rating_max_police,
        c.rating_max_municipality,
        c.rating_max_housing,
        c.rating_mean_police,
        c.rating_mean_municipality,
        c.rating_mean_housing,
        w.baseline_weeks,
        w.baseline_mean,
        case when w.previous_week_present > 0 then w.previous_week_events end as previous_week_events,
        case when w.previous_week_present > 0 then w.incidents_total - w.previous_week_events end as change_from_last_week,
        w.incidents_total - w.baseline_mean as change_from_baseline,
        w.expected_events,
        -- Fractional incidents (DeSO crimes spread by share) are tested as the nearest count.
        {{ poisson_upper_tail('round(w.incidents_total)', 'w.expected_events') }} as exceedance_probability
    from current_weeks as w
    left join checklist as c
        on c.area_id = w.area_id and c.week_start = w.week_start and c.category = w.category
)

select
    area_id,
    area_name,
    week_start,
    cast(iso_year as integer) as iso_year,
    cast(iso_week as integer) as iso_week,
    iso_week_label,
    category,
    category_sv,
    outcome_group,
    cast(events_police as integer) as events_police,
    cast(events_municipality as integer) as events_municipality,
    cast(events_housing as integer) as events_housing,
    cast(events_reported as integer) as events_reported,
    cast(events_total as integer) as events_total,
    cast(cross_partner_duplicates as integer) as cross_partner_duplicates,
    cast(population as integer) as population,
    cast(events_per_1000 as double) as events_per_1000,
    cast(round(police_crimes, 4) as double) as police_crimes,
    cast(round(police_crimes_from_deso, 4) as double) as police_crimes_from_deso,
    cast(round(incidents_total, 4) as double) as incidents_total,
    cast(checklist_ratings as integer) as checklist_ratings,
    cast(rating_max as integer) as rating_max,
    cast(rating_max_police as integer) as rating_max_police,
    cast(rating_max_municipality as integer) as rating_max_municipality,
    cast(rating_max_housing as integer) as rating_max_housing,
    cast(rating_mean_police as double) as rating_mean_police,
    cast(rating_mean_municipality as double) as rating_mean_municipality,
    cast(rating_mean_housing as double) as rating_mean_housing,
    cast(baseline_weeks as integer) as baseline_weeks,
    cast(baseline_mean as double) as baseline_mean,
    cast(round(previous_week_events, 4) as double) as previous_week_events,
    cast(round(change_from_last_week, 4) as double) as change_from_last_week,
    cast(change_from_baseline as double) as change_from_baseline,
    cast(expected_events as double) as expected_events,
    cast(exceedance_probability as double) as exceedance_probability,
    coalesce(exceedance_probability < {{ var('exceedance_alpha') }}, false) as is_unusually_high
from final
