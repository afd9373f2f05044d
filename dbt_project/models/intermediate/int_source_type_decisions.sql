{#- Every source type with its decision, in one place: the analysts' category_mapping seed
    (partner event types and checklist items, all tracked) and the police's two code lists,
    where every crime code and events-API type is either tracked under an EST category or
    deliberately not tracked, with the reason. A type that appears in no list is unknown:
    it is listed in marts.unmapped_source_types and warned about. -#}

select
    source,
    source_type,
    category,
    'tracked' as decision,
    cast(null as varchar) as reason
from {{ ref('category_mapping') }}

union all

select
    'police_deso' as source,
    trim(crime_code) as source_type,
    nullif(trim(category), '') as category,
    lower(trim(decision)) as decision,
    nullif(trim(reason), '') as reason
from {{ ref('police_crime_codes') }}

union all

select
    'police_events' as source,
    trim(event_type) as source_type,
    nullif(trim(category), '') as category,
    lower(trim(decision)) as decision,
    nullif(trim(reason), '') as reason
from {{ ref('police_event_types') }}
