{#- Every police record that did not reach an area, counted per municipality × week × source
    × reason, so no row is lost without a trace. A national file's other municipalities, a
    crime without a DeSO code, a DeSO linked to no area, a code deliberately not tracked, a
    repeat replaced by a later delivery, the part of a split DeSO outside the EST areas, and
    every events-API record (located only to a municipality's or county's centroid) each have
    their reason. Where only the county is known (Kommun blank, Län given), municipality_code
    is null and county_name says where. Unpartitioned: rebuilt whole on every run. -#}

with deso as (
    select
        municipality_code,
        county_name,
        week_start,
        'police_deso' as source,
        fate as reason,
        count(*) as records,
        sum(crime_count) as crimes
    from {{ ref('int_police_deso_crimes') }}
    where fate <> 'in_area'
    group by 1, 2, 3, 4, 5
),

-- The part of a counted crime that lies outside the EST areas: its DeSO's shares sum to < 1.
deso_outside as (
    select
        c.municipality_code,
        c.county_name,
        c.week_start,
        'police_deso' as source,
        'share_outside_areas' as reason,
        0 as records,
        sum(c.crime_count - a.crimes_in_areas) as crimes
    from {{ ref('int_police_deso_crimes') }} as c
    inner join (
        select crime_id, sum(crimes) as crimes_in_areas
        from {{ ref('int_police_deso_crimes_in_areas') }}
        group by crime_id
    ) as a on a.crime_id = c.crime_id
    where c.fate = 'in_area' and c.is_current and c.crime_count - a.crimes_in_areas > 1e-9
    group by 1, 2, 3, 4, 5, 6
),

events_api as (
    select
        municipality_code,
        county_name,
        week_start,
        'police_events' as source,
        case
            when not is_current then 'repeat_superseded'
            when decision = 'summary' then 'summary'
            when municipality_code is null and county_name is not null then 'county_centroid'
            when municipality_code is null then 'unknown_municipality'
            when not is_own_municipality then 'other_municipality'
            when decision is null then 'unknown_code'
            when decision <> 'tracked' then 'not_tracked'
            else 'municipality_centroid'
        end as reason,
        count(*) as records,
        count(*) as crimes
    from {{ ref('int_police_events_records') }}
    group by 1, 2, 3, 4, 5
),

unioned as (
    select * from deso
    union all
    select * from deso_outside
    union all
    select * from events_api
),

names as (
    select municipality_code, municipality_name, county_name from {{ ref('int_municipalities') }}
    union
    select municipality_code, municipality_name, county_name
    from {{ ref('municipalities') }}
    where municipality_code not in (select municipality_code from {{ ref('int_municipalities') }})
)

select
    u.municipality_code,
    n.municipality_name,
    coalesce(u.county_name, n.county_name) as county_name,
    u.week_start,
    {{ iso_week_label('u.week_start') }} as iso_week_label,
    u.source,
    u.reason,
    case u.reason
        when 'repeat_superseded' then 'Ersatt av en senare leverans med samma id (räknas en gång)'
        when 'unknown_municipality' then 'Kommun okänd: varken DeSO-kod eller kommun angiven'
        when 'other_municipality' then 'Annan kommun'
        when 'unknown_code' then 'Okänd brottskod/händelsetyp (finns inte i någon kodlista)'
        when 'not_tracked' then 'Följs inte upp i EST (kodlistan anger varför)'
        when 'no_deso_code' then 'Saknar DeSO-kod'
        when 'deso_not_linked' then 'DeSO-området hör inte till något EST-område'
        when 'outside_data_period' then 'Brottsveckan ligger utanför dataperioden'
        when 'in_local_extract' then 'Räknas i polisens lokala utdrag (samma id)'
        when 'covered_by_local_extract' then 'Polisens lokala utdrag täcker veckan och räknar brotten'
        when 'share_outside_areas' then 'Den del av DeSO-området som ligger utanför EST-områdena'
        when 'summary' then 'Sammanfattning av flera händelser, ingen enskild händelse'
        when 'county_centroid' then 'Bara länet angivet (länets mittpunkt)'
        when 'municipality_centroid' then 'Bara kommunen angiven (kommunens mittpunkt): kommunal bakgrund, aldrig per område'
    end as reason_sv,
    cast(u.records as integer) as records,
    cast(round(u.crimes, 4) as double) as crimes
from unioned as u
left join names as n on n.municipality_code = u.municipality_code
