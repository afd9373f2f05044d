{#- The insats register, validated: one row per register row as delivered (nothing is
    dropped), with every problem found written in `quarantine_reason` and `is_valid` true
    only when there is none. marts.area_week_interventions, the prioritisation and follow-up
    marts and (through that mart) the estimation read only the valid rows, so "which
    interventions count" has one answer.

    The rules (docs block `intervention_quarantine_rules`) are checked independently and
    all reasons that apply are listed, separated by "; ". The overlap rule compares only
    rows that pass every other rule, so a broken row never knocks out a good one. -#}

{%- set open_end = "date '9999-12-31'" -%}

with register as (
    select
        *,
        _content_hash || ':' || cast(_row_number as varchar) as register_row_id
    from {{ ref('stg_partners__interventions') }}
),

areas as (
    select area_id from {{ ref('int_areas') }}
),

places as (
    select place_id, area_id from {{ ref('stg_reference__places') }}
),

types as (
    select intervention_type_sv, intervention_type, target_outcome_group
    from {{ ref('intervention_types') }}
),

-- The register is re-exported whole: when one Insats-ID arrives in more than one file,
-- the latest delivery is the register's current word and earlier ones are superseded.
deliveries as (
    select
        register_row_id,
        first_value(_file_name) over latest as latest_file_name,
        first_value(_row_number) over latest as latest_row_number,
        row_number() over latest as delivery_rank
    from register
    where intervention_id is not null
    window latest as (
        partition by intervention_id
        order by _loaded_at desc, _file_name desc, _row_number desc
    )
),

checked as (
    select
        r.*,
        t.intervention_type,
        t.target_outcome_group,
        {%- set reason_checks -%}
            case when r.intervention_id is null then 'missing Insats-ID' end,
            case when d.delivery_rank > 1 then
                'superseded by a later delivery of Insats-ID ''' || r.intervention_id || ''' ('
                || d.latest_file_name || ', row ' || cast(d.latest_row_number as varchar) || ')' end,
            case
                when r.area_id is null then 'missing area (Områdes-ID)'
                when a.area_id is null then 'unknown area ''' || r.area_id || ''' (Områdes-ID)'
            end,
            case
                when r.place_id is null then null
                when p.place_id is null then 'unknown place ''' || r.place_id || ''' (Plats-ID)'
                when a.area_id is not null and p.area_id <> r.area_id then
                    'place ''' || r.place_id || ''' is in area ''' || p.area_id || ''', not in ''' || r.area_id || ''''
            end,
            case
                when r.intervention_type_sv is null then 'missing intervention type (Insatstyp)'
                when t.intervention_type is null then
                    'unknown intervention type ''' || r.intervention_type_sv || ''' (Insatstyp)'
            end,
            case
                when r.responsible_unrecognised is not null then
                    'unknown partner ''' || r.responsible_unrecognised
                    || ''' (Ansvarig: Kommun, Polis or Fastighetsbolag)'
                when coalesce(r.responsible_partners, '') = '' then 'missing responsible partner (Ansvarig)'
            end,
            case
                when r.started_on is null then 'missing start date (Startdatum)'
                when r.ended_on < r.started_on then
                    'end date ' || cast(r.ended_on as varchar) || ' before start date '
                    || cast(r.started_on as varchar)
            end,
            case when r.intensity is null then
                'unknown intensity ''' || coalesce(r.intensity_label, '') || ''' (Intensitet: låg, medel or hög)'
            end,
            case when r.cost_sek < 0 then 'negative cost (Kostnad (kr))' end
        {%- endset %}
        {{ est_list_filter(est_list([reason_checks]), 'reason', 'reason is not null') }} as reasons
    from register as r
    left join deliveries as d on d.register_row_id = r.register_row_id
    left join areas as a on a.area_id = r.area_id
    left join places as p on p.place_id = r.place_id
    left join types as t on t.intervention_type_sv = r.intervention_type_sv
),

clean as (
    select * from checked where {{ est_list_length('reasons') }} = 0
),

-- Overlapping duplicates: the same type in the same area and place (both without a place
-- counts as the same place) with date ranges that overlap, open ends running forever.
-- The row registered first (start, decision date, id, file, row) stands; every later one
-- is quarantined naming the row it duplicates.
overlapping as (
    select
        later.register_row_id,
        {{ est_first(
            "'overlapping duplicate of Insats-ID ''' || earlier.intervention_id || ''' ('
            || earlier._file_name || ', row ' || cast(earlier._row_number as varchar)
            || '): same type, area and place, dates overlap'",
            'earlier.started_on, earlier.decided_on nulls last, earlier.intervention_id,
                earlier._file_name, earlier._row_number') }} as reason
    from clean as later
    inner join clean as earlier
        on earlier.area_id = later.area_id
        and earlier.intervention_type = later.intervention_type
        and earlier.place_id is not distinct from later.place_id
        and earlier.register_row_id <> later.register_row_id
        and earlier.started_on <= coalesce(later.ended_on, {{ open_end }})
        and later.started_on <= coalesce(earlier.ended_on, {{ open_end }})
    where (earlier.started_on, coalesce(earlier.decided_on, {{ open_end }}), earlier.intervention_id,
            earlier._file_name, earlier._row_number)
        < (later.started_on, coalesce(later.decided_on, {{ open_end }}), later.intervention_id,
            later._file_name, later._row_number)
    group by later.register_row_id
),

final as (
    select
        c.*,
        case
            when o.reason is not null then {{ est_list_append('c.reasons', 'o.reason') }}
            else c.reasons
        end as all_reasons
    from checked as c
    left join overlapping as o on o.register_row_id = c.register_row_id
)

select
    register_row_id,
    intervention_id,
    decided_on,
    area_id,
    place_id,
    intervention_type_sv,
    intervention_type,
    target_outcome_group,
    responsible_sv,
    responsible_partners,
    started_on,
    ended_on,
    ended_on is null as is_open_ended,
    intensity_label,
    cast(intensity as integer) as intensity,
    cost_sek,
    description,
    {{ est_list_length('all_reasons') }} = 0 as is_valid,
    case when {{ est_list_length('all_reasons') }} > 0 then {{ est_list_join('all_reasons', "'; '") }} end as quarantine_reason,
    _file_name,
    _content_hash,
    _row_number,
    _loaded_at
from final
