{#- Events that fall in no area (no polygon, unknown address or property, unknown place id):
    counted per week × partner × source × category so they are visible, not dropped. -#}

select
    week_start,
    {{ iso_week_label('week_start') }} as iso_week_label,
    partner,
    source,
    coalesce(category, 'unmapped') as category,
    cast(count(*) as integer) as events
from {{ ref('int_events__deduplicated') }}
where area_id is null
    and week_start is not null
    and {{ in_window('week_start') }}
group by week_start, partner, source, coalesce(category, 'unmapped')
