{#- Warn (not fail) while partner types are waiting for a row in the category_mapping seed.
    The rows are not lost: marts.unmapped_source_types lists them with counts and files. -#}
{{ config(
    severity='warn',
    meta={'description': 'Every event type, crime code and events-API type the partners delivered is on a list that decides what it counts as. A warning names the types on no list (the rows of marts.unmapped_source_types, with their number of rows and a file they came in); those rows are kept but not counted. What to do: add each type to dbt_project/seeds/category_mapping.csv (the partners\' own types and checklist items) or to police_crime_codes.csv / police_event_types.csv (police codes), then re-run the weekly job so they are counted.'},
) }}

select source, source_type, rows_unmapped, example_file_name
from {{ ref('unmapped_source_types') }}
