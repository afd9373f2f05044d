{#-
  The analysis period (quarter or tertial) is a setting, not code: every model that works
  per period computes its boundaries from the dbt var `analysis_period`, which Dagster
  passes from EST_ANALYSIS_PERIOD. A tertial is four months starting in January, May or
  September (the rhythm some municipalities analyse on).
-#}

{% macro est_analysis_period() -%}
  {%- set period = var('analysis_period', 'quarter') | lower -%}
  {%- if period not in ('quarter', 'tertial') -%}
    {{ exceptions.raise_compiler_error("var analysis_period must be 'quarter' or 'tertial', got '" ~ period ~ "'") }}
  {%- endif -%}
  {{ return(period) }}
{%- endmacro %}

{% macro est_period_months() -%}
  {{ return(3 if est_analysis_period() == 'quarter' else 4) }}
{%- endmacro %}

{#- First day of the analysis period containing the date expression. -#}
{% macro est_period_start(date_expr) -%}
  {%- if est_analysis_period() == 'quarter' -%}
    cast(date_trunc('quarter', cast({{ date_expr }} as date)) as date)
  {%- else -%}
    {{ est_make_date(
      'year(cast(' ~ date_expr ~ ' as date))',
      'case when month(cast(' ~ date_expr ~ ' as date)) < 5 then 1
           when month(cast(' ~ date_expr ~ ' as date)) < 9 then 5
           else 9 end',
      1) }}
  {%- endif -%}
{%- endmacro %}

{#- First day after the period that starts at period_start (exclusive end). -#}
{% macro est_period_end(period_start_expr) -%}
  cast({{ period_start_expr }} + {{ est_interval(est_period_months(), 'month') }} as date)
{%- endmacro %}

{#- Shift a period start by n periods (negative = earlier). -#}
{% macro est_period_shift(period_start_expr, n) -%}
  cast({{ est_add_months(period_start_expr, '(' ~ n ~ ') * ' ~ est_period_months()) }} as date)
{%- endmacro %}

{#- '2021-Q2' or '2021-T2': the label the EST group uses. -#}
{% macro est_period_label(period_start_expr) -%}
  {%- if est_analysis_period() == 'quarter' -%}
    cast(year({{ period_start_expr }}) as varchar) || '-Q' || cast(quarter({{ period_start_expr }}) as varchar)
  {%- else -%}
    cast(year({{ period_start_expr }}) as varchar) || '-T' || cast({{ est_int_div('(month(' ~ period_start_expr ~ ') + 3)', 4) }} as varchar)
  {%- endif -%}
{%- endmacro %}
