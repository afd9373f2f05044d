{#-
  Statistics DuckDB does not have built in (checked: no erf, no normal or Poisson CDF in
  DuckDB 2.0), written once here so every model states the same test.
-#}

{#-
  Standard normal CDF, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7): enough
  for a p-value compared with 0.05.
-#}
{% macro est_normal_cdf(z) -%}
  (case when ({{ z }}) is null then null else
    0.5 * (1 + sign({{ z }}) * (1 - (
        0.254829592 * (1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)))
      - 0.284496736 * pow(1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)), 2)
      + 1.421413741 * pow(1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)), 3)
      - 1.453152027 * pow(1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)), 4)
      + 1.061405429 * pow(1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)), 5)
    ) * exp(-pow({{ z }}, 2) / 2)))
  end)
{%- endmacro %}

{#-
  P(X >= k) for X ~ Poisson(mu): the exact upper tail, 1 - sum_{j<k} e^-mu mu^j / j!.
  Summed in log space so large counts do not overflow.
-#}
{% macro est_poisson_upper_tail(k, mu) -%}
  (case
     when ({{ k }}) is null or ({{ mu }}) is null then null
     when ({{ k }}) <= 0 then 1.0
     when ({{ mu }}) <= 0 then 0.0
     else greatest(0.0, 1.0 - coalesce({{ est_sum_over_range(
            none,
            'cast(' ~ k ~ ' as bigint)',
            'j',
            'exp(-(' ~ mu ~ ') + j * ln(' ~ mu ~ ') - ' ~ est_ln_factorial('j') ~ ')') }}, 0.0))
   end)
{%- endmacro %}
