{{ config(materialized='ephemeral') }}

{#- The analysis periods (quarters, or tertials when var analysis_period = 'tertial') that
    the data covers completely: from the first day of the first week with data to the last
    day of the last week. A period the data only partly covers (the first one, or the one in
    progress) is left out everywhere: its counts would look like a drop and distort ranks
    and trends. Ephemeral, so the period definition always comes from the run's own vars. -#}

with bounds as (
    select
        first_week_start,
        cast({{ est_add_days('last_week_start', 7) }} as date) as data_end
    from {{ ref('int_data_period') }}
),

candidates as (
    select cast(t.p as date) as period_start, b.first_week_start, b.data_end
    from bounds as b,
        {{ est_series(
            'cast(' ~ est_period_start('b.first_week_start') ~ ' as timestamp)',
            'cast(b.data_end as timestamp)',
            't', 'p',
            est_interval(est_period_months(), 'month')) }}
)

select
    period_start,
    {{ est_period_end('period_start') }} as period_end,
    {{ est_period_label('period_start') }} as period_label,
    '{{ est_analysis_period() }}' as analysis_period
from candidates
where period_start >= first_week_start
    and {{ est_period_end('period_start') }} <= data_end
