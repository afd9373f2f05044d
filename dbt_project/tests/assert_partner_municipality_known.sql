{#- Warn (not fail): a partner row whose Kommun names no municipality this deployment or the
    municipalities seed knows. The row is kept: its address is then located only where the
    register has it in a single municipality, else it is counted as unlocated. -#}
{{ config(
    severity='warn',
    meta={'description': 'Every Kommun a partner writes in its fault reports or housing cases names a known municipality (a name such as Örebro or Örebro kommun, or the four-digit code). A warning lists each file, the unknown value, its number of rows and its first row; those rows are kept, but their address is looked up in the whole register, so an address that exists in two municipalities is counted as unlocated. What to do: correct the Kommun column in the partner\'s file (or ask the partner to), then deliver it again.'},
) }}

select
    _file_name as file_name,
    partner_municipality as kommun,
    count(*) as rows_affected,
    min(_row_number) as first_row
from {{ ref('int_events__harmonised') }}
where nullif(trim(partner_municipality), '') is not null
    and partner_municipality_code is null
group by all
