{#- The calendar years the data covers completely: from the first day of the first week with
    data to the last day of the last week (int_data_period). A year the data only partly
    covers (the first one when the data starts after 1 January, the one in progress) is left
    out, so a year is never compared on a few days. The follow-up marts (yearly_*) work on
    these years. -#}

with bounds as (
    select first_week_start, cast({{ est_add_days('last_week_start', 7) }} as date) as data_end
    from {{ ref('int_data_period') }}
)

select
    cast(t.y as date) as year_start,
    cast(t.y + {{ est_interval(1, 'year') }} as date) as year_end,
    cast(year(t.y) as integer) as year
from bounds as b,
    {{ est_series(
        'cast(' ~ est_make_date('year(b.first_week_start)', 1, 1) ~ ' as timestamp)',
        'cast(b.data_end as timestamp)',
        't', 'y',
        est_interval(1, 'year')) }}
where cast(t.y as date) >= b.first_week_start
    and cast(t.y + {{ est_interval(1, 'year') }} as date) <= b.data_end
