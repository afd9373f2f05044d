{#- The one definition of "active": an intervention is active in every week of
    the data period that overlaps its start..end dates (inclusive); open-ended ones stay
    active to the end of the data period. Only register rows that pass validation count
    (int_interventions_validated.is_valid: the register's quarantine rules; invalid rows stay
    there and in int_interventions_quarantined with their reasons). -#}

with weeks as (
    select area_id, week_start, iso_week_label from {{ ref('int_area_weeks') }}
),

period as (
    select * from {{ ref('int_data_period') }}
),

valid as (
    select * from {{ ref('int_interventions_validated') }}
    where is_valid
)

select
    w.area_id,
    w.week_start,
    w.iso_week_label,
    i.intervention_id,
    i.intervention_type,
    i.target_outcome_group,
    cast(i.intensity as integer) as intensity,
    i.responsible_partners,
    i.place_id,
    i.started_on,
    i.ended_on
from valid as i
cross join period as p
inner join weeks as w
    on w.area_id = i.area_id
    and i.started_on <= {{ est_add_days('w.week_start', 6) }}
    and coalesce(i.ended_on, {{ est_add_days('p.last_week_start', 6) }}) >= w.week_start
