{#- Warn (not fail) while partner types are waiting for a row in the category_mapping seed.
    The rows are not lost: marts.unmapped_source_types lists them with counts and files. -#}
{{ config(severity='warn') }}

select source, source_type, rows_unmapped, example_file_name
from {{ ref('unmapped_source_types') }}
