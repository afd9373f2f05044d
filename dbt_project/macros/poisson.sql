{#- P(X >= x) for X ~ Poisson(lam), summed term by term over the upper tail so small
    probabilities keep their precision (1 - CDF would round them to 0). Terms are summed
    from x up to max(x, lam) + 10·sqrt(lam) + 30, past which they are negligible. -#}
{% macro poisson_upper_tail(x, lam) -%}
    case
        when {{ x }} is null or {{ lam }} is null then null
        when {{ x }} <= 0 then 1.0
        when {{ lam }} <= 0 then 0.0
        else least(1.0, {{ est_sum_over_range(
            'cast(' ~ x ~ ' as bigint)',
            'cast(greatest(' ~ x ~ ', ' ~ lam ~ ') + 10 * sqrt(' ~ lam ~ ') + 31 as bigint)',
            'k',
            'exp(-(' ~ lam ~ ') + k * ln(' ~ lam ~ ') - ' ~ est_ln_factorial('k') ~ ')') }})
    end
{%- endmacro %}
