{#- Every delivered row of the police's DeSO-coded crime extract, with its identity and
    where it belongs. The police's own `Id` is a crime's identity: when a later file repeats
    an Id, the latest delivery (last loaded; ties by file name, then row) is the current
    record and the earlier ones are kept here only to be counted as repeats, so a re-export
    never counts a crime twice.

    The municipality comes from the DeSO code (its first four digits); a row without a DeSO
    code is placed by its Kommun (a name, with or without "kommun", or a code); when Kommun
    is blank too, only the county (Län) is known and kept. The decision on the crime code
    (tracked under a category, not tracked, or unknown) comes from int_source_type_decisions.
    The crime's week is the week of Brottsdatum, else of Inskrivningsdatum. -#}

with staged as (
    select
        *,
        row_number() over (
            partition by crime_id
            order by _loaded_at desc, _file_name desc, _row_number desc
        ) as delivery_rank,
        count(*) over (partition by crime_id) as deliveries
    from {{ ref('stg_police__deso_crimes') }}
),

-- Names to recognise in the Kommun column: this deployment's municipalities and every
-- municipality in the seed.
name_keys as (
    {{ municipality_name_keys() }}
),

placed as (
    select
        s.*,
        case
            when {{ est_regexp_full_match('s.deso_code', deso_pattern()) }} then substr(s.deso_code, 1, 4)
        end as deso_municipality_code,
        case
            when {{ est_regexp_full_match('s.municipality_name', "'\\d{4}'") }} then s.municipality_name
            else (
                select min(k.municipality_code)
                from name_keys as k
                where {{ municipality_key('s.municipality_name') }} in (k.name_key, k.name_key || 's')
            )
        end as named_municipality_code
    from staged as s
)

select
    p.crime_id,
    p.delivery_rank = 1 as is_current,
    cast(p.deliveries - 1 as integer) as repeats_of_this_id,
    p.crime_code,
    p.crime_code_text,
    d.decision,
    d.category,
    p.registered_on,
    p.committed_on,
    p.event_date,
    {{ week_start('p.event_date') }} as week_start,
    coalesce(p.deso_municipality_code, p.named_municipality_code) as municipality_code,
    m.municipality_code is not null as is_own_municipality,
    p.municipality_name as reported_municipality,
    coalesce(p.county_name, n.county_name) as county_name,
    p.deso_code,
    cast(coalesce(p.crime_count, 1) as integer) as crime_count,
    p._file_name,
    p._content_hash,
    p._row_number,
    p._loaded_at
from placed as p
left join {{ ref('int_source_type_decisions') }} as d
    on d.source = 'police_deso' and d.source_type = p.crime_code
left join {{ ref('int_municipalities') }} as m
    on m.municipality_code = coalesce(p.deso_municipality_code, p.named_municipality_code)
left join {{ ref('municipalities') }} as n
    on n.municipality_code = coalesce(p.deso_municipality_code, p.named_municipality_code)
