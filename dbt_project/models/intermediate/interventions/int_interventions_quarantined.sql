{#- The register rows that do not count, each with its file, row and reason(s): what the
    EST coordinator sends back to the partner who keeps the register. -#}

select
    register_row_id,
    _file_name as file_name,
    _row_number as row_number,
    intervention_id,
    area_id,
    place_id,
    intervention_type_sv,
    started_on,
    ended_on,
    quarantine_reason,
    _loaded_at as loaded_at
from {{ ref('int_interventions_validated') }}
where not is_valid
