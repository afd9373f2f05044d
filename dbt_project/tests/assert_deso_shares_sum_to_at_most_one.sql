{#- A DeSO's residents can be shared between EST areas, but never more than all of them:
    shares above 1 in total count a DeSO's crimes more than once. (The onboarding check,
    `make onboard`, reports the same before anything runs.) -#}
{{ config(
    severity='warn',
    meta={'description': 'No DeSO area is shared out more than once: the population shares of the EST areas it is linked to add up to at most 1, or its crimes would count more than once. What to do on a warning: correct the Andel column of area_deso.csv (make onboard reports the same before a run).'},
) }}

select deso_code, sum(population_share) as share_total, count(*) as areas
from {{ ref('stg_reference__area_deso') }}
group by deso_code
having sum(population_share) > 1.0001
