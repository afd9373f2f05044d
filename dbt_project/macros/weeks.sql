{#- ISO weeks, Monday start. Event times are local Swedish time, so the week is
    taken from the local timestamp as it is. -#}

{% macro week_start(ts) -%}
    cast(date_trunc('week', {{ ts }}) as date)
{%- endmacro %}

{% macro iso_week_label(week_start) -%}
    {{ est_iso_week_label(week_start) }}
{%- endmacro %}

{#- 'YYYY-Www' → the Monday of that ISO week (4 January is always in week 1). -#}
{% macro week_start_from_label(label) -%}
    cast(
        {{ est_add_days_interval(
            "date_trunc('week', " ~ est_make_date("try_cast(split_part(" ~ label ~ ", '-W', 1) as integer)", 1, 4) ~ ")",
            "7 * (try_cast(split_part(" ~ label ~ ", '-W', 2) as integer) - 1)") }}
    as date)
{%- endmacro %}
