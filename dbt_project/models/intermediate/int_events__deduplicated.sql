{#- Cross-partner duplicates (docs block `duplicate_rule`). Two events from different
    partners are the same event when they have the same category, the same place (or, if
    both are located only to an area, the same area and points at most 150 m apart) and
    times at most 3 hours apart. An event at a place and an area-only event are never the
    same event: a place is a precise location, and the demo generator's exactness
    guarantee (distinct events >= 6 h apart per place, and per area's open ground) is
    keyed the same way. An event is counted unless a matching event from another partner came
    first (earlier time, ties by event_id): a group of duplicates counts once, at its
    earliest report. Events without a time of day (field observations), without a category
    or without an area are never merged.

    Candidate pairs are found by an equi-join on area, category and 3-hour time bucket
    (the event's bucket and its two neighbours), so the cost grows with the number of
    events, not with its square. -#}

{%- set max_seconds = var('duplicate_max_hours') * 3600 -%}

with events as (
    select * from {{ ref('int_events__harmonised') }}
),

eligible as (
    select
        event_id,
        partner,
        category,
        area_id,
        place_id,
        event_at,
        east_sweref,
        north_sweref,
        cast(floor({{ est_epoch_seconds('event_at') }} / {{ max_seconds }}) as bigint) as time_bucket
    from events
    where has_time_of_day and category is not null and area_id is not null and event_at is not null
),

probe as (
    -- Each event probes its own time bucket and the two beside it.
    select e.*, e.time_bucket + o.bucket_offset as probe_bucket
    from eligible as e
    cross join (values (-1), (0), (1)) as o(bucket_offset)
),

matches as (
    select
        a.event_id,
        b.event_id as other_event_id,
        b.event_at as other_event_at
    from probe as a
    inner join eligible as b
        on b.area_id = a.area_id
        and b.category = a.category
        and b.time_bucket = a.probe_bucket
    where a.partner <> b.partner
        and abs({{ est_epoch_seconds('a.event_at') }} - {{ est_epoch_seconds('b.event_at') }}) <= {{ max_seconds }}
        and (
            (a.place_id is not null and b.place_id is not null and a.place_id = b.place_id)
            or (
                a.place_id is null and b.place_id is null
                and sqrt(power(a.east_sweref - b.east_sweref, 2) + power(a.north_sweref - b.north_sweref, 2))
                    <= {{ var('duplicate_max_distance_m') }}
            )
        )
),

-- The earliest earlier-reported match, if any: this event is its duplicate.
earlier as (
    select
        m.event_id,
        {{ est_first('m.other_event_id', 'm.other_event_at, m.other_event_id') }} as duplicate_of_event_id,
        count(*) as matching_events
    from matches as m
    inner join eligible as e on e.event_id = m.event_id
    where m.other_event_at < e.event_at
        or (m.other_event_at = e.event_at and m.other_event_id < e.event_id)
    group by m.event_id
),

match_counts as (
    select event_id, count(*) as cross_partner_matches
    from matches
    group by event_id
)

select
    e.*,
    coalesce(c.cross_partner_matches, 0) as cross_partner_matches,
    d.duplicate_of_event_id,
    d.duplicate_of_event_id is not null as is_cross_partner_duplicate,
    e.area_id is not null and e.category is not null and d.duplicate_of_event_id is null as is_counted
from events as e
left join earlier as d on d.event_id = e.event_id
left join match_counts as c on c.event_id = e.event_id
