{#- The weekly lägesbild per area: area × ISO week. Top categories, the composite insecurity
    index (docs block `insecurity_index`) and the interventions active that week with their
    responsible partners. Reads this window's rows of weekly_situation (built just before
    in the same run) and the unpartitioned area_week_interventions. -#}

with situation as (
    select * from {{ ref('weekly_situation') }}
    where {{ in_window('week_start') }}
),

interventions as (
    select * from {{ ref('area_week_interventions') }}
    where {{ in_window('week_start') }}
),

per_area_week as (
    select
        area_id,
        area_name,
        week_start,
        iso_year,
        iso_week,
        iso_week_label,
        max(population) as population,
        sum(events_total) as events_total,
        sum(events_reported) as events_reported,
        sum(cross_partner_duplicates) as cross_partner_duplicates,
        sum(police_crimes) as police_crimes,
        sum(incidents_total) as incidents_total,
        count(*) filter (where is_unusually_high) as categories_flagged,
        -- Ranked by incidents; a fractional count (DeSO crimes spread by share) shows one decimal.
        {{ est_list_agg(
            "category || ' (' || case when incidents_total = round(incidents_total)
                then cast(cast(incidents_total as bigint) as varchar)
                else cast(round(incidents_total, 1) as varchar) end || ')'",
            'incidents_total desc, category') }} filter (where incidents_total > 0) as categories_ranked,
        {{ est_list_agg('category', 'incidents_total desc, category') }} filter (where incidents_total > 0) as categories_by_events,
        max(rating_max) as rating_max,
        max(rating_max_police) as rating_max_police,
        max(rating_max_municipality) as rating_max_municipality,
        max(rating_max_housing) as rating_max_housing
    from situation
    group by area_id, area_name, week_start, iso_year, iso_week, iso_week_label
),

active as (
    select
        area_id,
        week_start,
        count(*) as active_interventions,
        {{ est_string_agg(
            "intervention_type || ' [' || responsible_partners || ']'", "'; '",
            'intervention_type, intervention_id') }} as interventions_active,
        {{ est_list_join(est_list_sort_distinct(est_list_flatten(est_list_agg(est_split('responsible_partners', "', '")))), "', '") }}
            as responsible_partners
    from interventions
    group by area_id, week_start
),

scored as (
    select
        s.*,
        s.events_total * 1000.0 / nullif(s.population, 0) as events_per_1000,
        s.police_crimes * 1000.0 / nullif(s.population, 0) as police_crimes_per_1000,
        s.incidents_total * 1000.0 / nullif(s.population, 0) as incidents_per_1000,
        -- Mean, over the partners that rated the area this week, of their highest rating
        -- (a double before dividing: integer / integer truncates on Trino and in ANSI SQL).
        cast(coalesce(s.rating_max_police, 0) + coalesce(s.rating_max_municipality, 0) + coalesce(s.rating_max_housing, 0) as double)
            / nullif(
                cast(s.rating_max_police is not null as integer)
                + cast(s.rating_max_municipality is not null as integer)
                + cast(s.rating_max_housing is not null as integer), 0
            ) as rating_partner_mean
    from per_area_week as s
)

select
    s.area_id,
    s.area_name,
    s.week_start,
    cast(s.iso_year as integer) as iso_year,
    cast(s.iso_week as integer) as iso_week,
    s.iso_week_label,
    cast(s.population as integer) as population,
    cast(s.events_total as integer) as events_total,
    cast(s.events_reported as integer) as events_reported,
    cast(s.cross_partner_duplicates as integer) as cross_partner_duplicates,
    cast(s.events_per_1000 as double) as events_per_1000,
    cast(round(s.police_crimes, 4) as double) as police_crimes,
    cast(s.police_crimes_per_1000 as double) as police_crimes_per_1000,
    cast(round(s.incidents_total, 4) as double) as incidents_total,
    cast(s.incidents_per_1000 as double) as incidents_per_1000,
    cast(s.categories_flagged as integer) as categories_flagged,
    {{ est_list_element('s.categories_by_events', 1) }} as top_category,
    coalesce({{ est_list_join(est_list_slice('s.categories_ranked', 1, 3), "', '") }}, '') as top_categories,
    cast(s.rating_max as integer) as rating_max,
    cast(s.rating_partner_mean as double) as rating_partner_mean,
    cast(round(100 * (
        0.4 * (1 - exp(-coalesce(s.incidents_per_1000, 0) / 2.0))
        + 0.4 * coalesce(s.rating_partner_mean, 0) / 3.0
        + 0.2 * least(s.categories_flagged, 3) / 3.0
    ), 1) as double) as insecurity_index,
    cast(coalesce(a.active_interventions, 0) as integer) as active_interventions,
    coalesce(a.interventions_active, '') as interventions_active,
    coalesce(a.responsible_partners, '') as responsible_partners
from scored as s
left join active as a on a.area_id = s.area_id and a.week_start = s.week_start
