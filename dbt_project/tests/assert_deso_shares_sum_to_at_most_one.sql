{#- A DeSO's residents can be shared between EST areas, but never more than all of them:
    shares above 1 in total count a DeSO's crimes more than once. (The onboarding check,
    `make onboard`, reports the same before anything runs.) -#}
{{ config(severity='warn') }}

select deso_code, sum(population_share) as share_total, count(*) as areas
from {{ ref('stg_reference__area_deso') }}
group by deso_code
having sum(population_share) > 1.0001
