{#-
  Portable SQL: every construct the models need that DuckDB spells its own way.

  Each macro dispatches on the adapter (adapter.dispatch(name, 'est_pipeline')):
    - duckdb__<name> is the SQL the project has always run on DuckDB, unchanged, so a
      DuckDB build gives exactly the same results;
    - default__<name> is the ANSI spelling where ANSI has one, else Trino's (the engine
      tests/test_dbt_portability.py compiles for). An engine that spells it differently again
      (Spark, Postgres, ...) adds its own <adapter>__<name> here, nothing else changes.

  Adding a construct: write the macro with both implementations here, use it in the model,
  and add the DuckDB-only spelling to the deny list in tests/test_dbt_portability.py so the
  next model cannot use it directly. See docs/scale.md, "Portable SQL".
-#}


{#- ===== Dates and ISO weeks ============================================================ -#}

{#- ISO week label 'YYYY-Www' (ISO year, not calendar year: 2021-01-03 is 2020-W53).
    DuckDB has strftime %G/%V; Trino has year_of_week/week_of_year and no strftime. -#}
{% macro est_iso_week_label(d) -%}
    {{ return(adapter.dispatch('est_iso_week_label', 'est_pipeline')(d)) }}
{%- endmacro %}
{% macro duckdb__est_iso_week_label(d) -%}
    strftime({{ d }}, '%G-W%V')
{%- endmacro %}
{% macro default__est_iso_week_label(d) -%}
    (cast(year_of_week({{ d }}) as varchar) || '-W' || lpad(cast(week_of_year({{ d }}) as varchar), 2, '0'))
{%- endmacro %}

{#- ISO day of week, Monday 1 … Sunday 7. DuckDB: isodow; Trino: day_of_week. -#}
{% macro est_isodow(d) -%}
    {{ return(adapter.dispatch('est_isodow', 'est_pipeline')(d)) }}
{%- endmacro %}
{% macro duckdb__est_isodow(d) -%}
    isodow({{ d }})
{%- endmacro %}
{% macro default__est_isodow(d) -%}
    day_of_week({{ d }})
{%- endmacro %}

{#- ISO year of a date (the year its ISO week belongs to). DuckDB: isoyear; Trino: year_of_week. -#}
{% macro est_isoyear(d) -%}
    {{ return(adapter.dispatch('est_isoyear', 'est_pipeline')(d)) }}
{%- endmacro %}
{% macro duckdb__est_isoyear(d) -%}
    isoyear({{ d }})
{%- endmacro %}
{% macro default__est_isoyear(d) -%}
    year_of_week({{ d }})
{%- endmacro %}

{#- Seconds since 1970-01-01 of a timestamp without time zone (local Swedish time as it is).
    DuckDB: epoch(); Trino's to_unixtime needs a time zone, date_diff does not. -#}
{% macro est_epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('est_epoch_seconds', 'est_pipeline')(ts)) }}
{%- endmacro %}
{% macro duckdb__est_epoch_seconds(ts) -%}
    epoch({{ ts }})
{%- endmacro %}
{% macro default__est_epoch_seconds(ts) -%}
    cast(date_diff('second', timestamp '1970-01-01 00:00:00', {{ ts }}) as double)
{%- endmacro %}

{#- A date from year, month and day numbers. DuckDB: make_date; Trino has none, so count
    from 1970-01-01. -#}
{% macro est_make_date(y, m, d) -%}
    {{ return(adapter.dispatch('est_make_date', 'est_pipeline')(y, m, d)) }}
{%- endmacro %}
{% macro duckdb__est_make_date(y, m, d) -%}
    make_date({{ y }}, {{ m }}, {{ d }})
{%- endmacro %}
{% macro default__est_make_date(y, m, d) -%}
    date_add('day', ({{ d }}) - 1, date_add('month', ({{ m }}) - 1, date_add('year', ({{ y }}) - 1970, date '1970-01-01')))
{%- endmacro %}

{#- A date plus a whole number of days (negative: earlier). DuckDB adds an integer to a date
    and keeps it a date; Trino and ANSI refuse date + integer. -#}
{% macro est_add_days(d, n) -%}
    {{ return(adapter.dispatch('est_add_days', 'est_pipeline')(d, n)) }}
{%- endmacro %}
{% macro duckdb__est_add_days(d, n) -%}
    {{ d }} + {{ n }}
{%- endmacro %}
{% macro default__est_add_days(d, n) -%}
    date_add('day', {{ n }}, {{ d }})
{%- endmacro %}

{#- A date or timestamp plus a number of days given as an expression, as an interval:
    DuckDB's `+ to_days(n)` (the result is a timestamp); Trino: date_add. -#}
{% macro est_add_days_interval(d, n) -%}
    {{ return(adapter.dispatch('est_add_days_interval', 'est_pipeline')(d, n)) }}
{%- endmacro %}
{% macro duckdb__est_add_days_interval(d, n) -%}
    {{ d }} + to_days({{ n }})
{%- endmacro %}
{% macro default__est_add_days_interval(d, n) -%}
    date_add('day', {{ n }}, {{ d }})
{%- endmacro %}

{#- A date plus a number of months given as an expression. DuckDB: + to_months(n);
    Trino: date_add. -#}
{% macro est_add_months(d, n) -%}
    {{ return(adapter.dispatch('est_add_months', 'est_pipeline')(d, n)) }}
{%- endmacro %}
{% macro duckdb__est_add_months(d, n) -%}
    {{ d }} + to_months({{ n }})
{%- endmacro %}
{% macro default__est_add_months(d, n) -%}
    date_add('month', {{ n }}, {{ d }})
{%- endmacro %}

{#- An interval literal of n (a number written in the model) units: DuckDB writes
    `interval 7 day` (and accepts `days`); ANSI and Trino want `interval '7' day`. -#}
{% macro est_interval(n, unit) -%}
    {{ return(adapter.dispatch('est_interval', 'est_pipeline')(n, unit)) }}
{%- endmacro %}
{% macro duckdb__est_interval(n, unit) -%}
    interval {{ n }} {{ unit }}
{%- endmacro %}
{% macro default__est_interval(n, unit) -%}
    interval '{{ n }}' {{ unit | replace('days', 'day') | replace('months', 'month') | replace('years', 'year') }}
{%- endmacro %}

{#- A table of one column `column` holding start, start + step, … up to but excluding stop
    (integers; dates or timestamps when step is an interval), written where a from-item
    goes. DuckDB: the range() table function; Trino: unnest(sequence()), whose stop is
    inclusive, so the rows at or past stop are filtered out. -#}
{% macro est_series(start, stop, alias, column, step=none) -%}
    {{ return(adapter.dispatch('est_series', 'est_pipeline')(start, stop, alias, column, step)) }}
{%- endmacro %}
{% macro duckdb__est_series(start, stop, alias, column, step=none) -%}
    range({{ start }}, {{ stop }}{% if step is not none %}, {{ step }}{% endif %}) as {{ alias }}({{ column }})
{%- endmacro %}
{% macro default__est_series(start, stop, alias, column, step=none) -%}
    unnest(filter(
        sequence({{ start }}, {{ stop }}{% if step is not none %}, {{ step }}{% endif %}),
        {{ column }}_ -> {{ column }}_ < {{ stop }}
    )) as {{ alias }}({{ column }})
{%- endmacro %}


{#- ===== Strings and regular expressions ================================================ -#}

{#- Does the whole string match the pattern? DuckDB: regexp_full_match; Trino: regexp_like
    with the pattern anchored. -#}
{% macro est_regexp_full_match(s, pattern) -%}
    {{ return(adapter.dispatch('est_regexp_full_match', 'est_pipeline')(s, pattern)) }}
{%- endmacro %}
{% macro duckdb__est_regexp_full_match(s, pattern) -%}
    regexp_full_match({{ s }}, {{ pattern }})
{%- endmacro %}
{% macro default__est_regexp_full_match(s, pattern) -%}
    regexp_like({{ s }}, '^(?:' || {{ pattern }} || ')$')
{%- endmacro %}

{#- Does the pattern occur anywhere in the string? DuckDB: regexp_matches; Trino and most
    others: regexp_like. -#}
{% macro est_regexp_contains(s, pattern) -%}
    {{ return(adapter.dispatch('est_regexp_contains', 'est_pipeline')(s, pattern)) }}
{%- endmacro %}
{% macro duckdb__est_regexp_contains(s, pattern) -%}
    regexp_matches({{ s }}, {{ pattern }})
{%- endmacro %}
{% macro default__est_regexp_contains(s, pattern) -%}
    regexp_like({{ s }}, {{ pattern }})
{%- endmacro %}

{#- regexp_replace with DuckDB's option letters ('g' every match, 'i' ignore case).
    Trino always replaces every match and takes (?i) inside the pattern, so a caller that
    wants only the first match must anchor its pattern (both callers do). -#}
{% macro est_regexp_replace(s, pattern, replacement, options) -%}
    {{ return(adapter.dispatch('est_regexp_replace', 'est_pipeline')(s, pattern, replacement, options)) }}
{%- endmacro %}
{% macro duckdb__est_regexp_replace(s, pattern, replacement, options) -%}
    regexp_replace({{ s }}, {{ pattern }}, {{ replacement }}, '{{ options }}')
{%- endmacro %}
{% macro default__est_regexp_replace(s, pattern, replacement, options) -%}
    regexp_replace({{ s }}, {% if 'i' in options %}'(?i)' || {% endif %}{{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- Integer division of two integer expressions. DuckDB: //; Trino and ANSI: / on integers. -#}
{% macro est_int_div(a, b) -%}
    {{ return(adapter.dispatch('est_int_div', 'est_pipeline')(a, b)) }}
{%- endmacro %}
{% macro duckdb__est_int_div(a, b) -%}
    {{ a }} // {{ b }}
{%- endmacro %}
{% macro default__est_int_div(a, b) -%}
    {{ a }} / {{ b }}
{%- endmacro %}


{#- ===== Aggregates ===================================================================== -#}

{#- The value at the smallest key. DuckDB: arg_min; Trino and Spark: min_by. -#}
{% macro est_arg_min(value, key) -%}
    {{ return(adapter.dispatch('est_arg_min', 'est_pipeline')(value, key)) }}
{%- endmacro %}
{% macro duckdb__est_arg_min(value, key) -%}
    arg_min({{ value }}, {{ key }})
{%- endmacro %}
{% macro default__est_arg_min(value, key) -%}
    min_by({{ value }}, {{ key }})
{%- endmacro %}

{#- The first value in an order (an aggregate). DuckDB: first(x order by …); Trino has no
    first(), so take element 1 of the ordered array. -#}
{% macro est_first(value, order_by) -%}
    {{ return(adapter.dispatch('est_first', 'est_pipeline')(value, order_by)) }}
{%- endmacro %}
{% macro duckdb__est_first(value, order_by) -%}
    first({{ value }} order by {{ order_by }})
{%- endmacro %}
{% macro default__est_first(value, order_by) -%}
    element_at(array_agg({{ value }} order by {{ order_by }}), 1)
{%- endmacro %}

{#- Strings joined with a separator in an order (an aggregate; nulls skipped). distinct=true
    joins each value once and orders by the value itself. DuckDB: string_agg(… order by …);
    ANSI and Trino: listagg(…) within group (order by …); Trino's listagg has no distinct,
    so that case goes through a sorted distinct array. -#}
{% macro est_string_agg(value, separator, order_by=none, distinct=false) -%}
    {{ return(adapter.dispatch('est_string_agg', 'est_pipeline')(value, separator, order_by, distinct)) }}
{%- endmacro %}
{% macro duckdb__est_string_agg(value, separator, order_by=none, distinct=false) -%}
    string_agg({% if distinct %}distinct {% endif %}{{ value }}, {{ separator }}{% if distinct %} order by {{ value }}{% elif order_by is not none %}
            order by {{ order_by }}{% endif %})
{%- endmacro %}
{% macro default__est_string_agg(value, separator, order_by=none, distinct=false) -%}
    {%- if distinct -%}
    nullif(array_join(array_sort(array_distinct(array_agg({{ value }}))), {{ separator }}), '')
    {%- else -%}
    listagg({{ value }}, {{ separator }}) within group (order by {{ order_by if order_by is not none else value }})
    {%- endif -%}
{%- endmacro %}

{#- least / greatest that skip nulls (null only when every argument is null), as DuckDB's
    do. Trino's and ANSI-style engines' return null as soon as one argument is null, so
    every argument is first coalesced with the others. -#}
{% macro est_least(args) -%}
    {{ return(adapter.dispatch('est_least', 'est_pipeline')(args)) }}
{%- endmacro %}
{% macro duckdb__est_least(args) -%}
    least({{ args | join(', ') }})
{%- endmacro %}
{% macro default__est_least(args) -%}
    least({{ _est_coalesced_each(args) }})
{%- endmacro %}

{% macro est_greatest(args) -%}
    {{ return(adapter.dispatch('est_greatest', 'est_pipeline')(args)) }}
{%- endmacro %}
{% macro duckdb__est_greatest(args) -%}
    greatest({{ args | join(', ') }})
{%- endmacro %}
{% macro default__est_greatest(args) -%}
    greatest({{ _est_coalesced_each(args) }})
{%- endmacro %}

{%- macro _est_coalesced_each(args) -%}
    {%- for a in args -%}
        coalesce({{ a }}{% for b in args if b != a %}, {{ b }}{% endfor %}){{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- ===== Lists (arrays) ================================================================= -#}
{#- DuckDB calls them lists and has list_* functions and `lambda x: …`; Trino calls them
    arrays, with transform/filter and `x -> …`. Elements are numbered from 1 in both. -#}

{#- A list literal from SQL expressions (a Jinja list of strings). -#}
{% macro est_list(items) -%}
    {{ return(adapter.dispatch('est_list', 'est_pipeline')(items)) }}
{%- endmacro %}
{% macro duckdb__est_list(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}
{% macro default__est_list(items) -%}
    array[{{ items | join(', ') }}]
{%- endmacro %}

{#- Aggregate values into a list, optionally ordered. DuckDB: list(); ANSI and Trino: array_agg. -#}
{% macro est_list_agg(value, order_by=none) -%}
    {{ return(adapter.dispatch('est_list_agg', 'est_pipeline')(value, order_by)) }}
{%- endmacro %}
{% macro duckdb__est_list_agg(value, order_by=none) -%}
    list({{ value }}{% if order_by is not none %} order by {{ order_by }}{% endif %})
{%- endmacro %}
{% macro default__est_list_agg(value, order_by=none) -%}
    array_agg({{ value }}{% if order_by is not none %} order by {{ order_by }}{% endif %})
{%- endmacro %}

{#- Apply an expression of `var` to every element. -#}
{% macro est_list_transform(list, var, expr) -%}
    {{ return(adapter.dispatch('est_list_transform', 'est_pipeline')(list, var, expr)) }}
{%- endmacro %}
{% macro duckdb__est_list_transform(list, var, expr) -%}
    list_transform({{ list }}, lambda {{ var }}: {{ expr }})
{%- endmacro %}
{% macro default__est_list_transform(list, var, expr) -%}
    transform({{ list }}, {{ var }} -> {{ expr }})
{%- endmacro %}

{#- Keep the elements for which a condition on `var` holds. -#}
{% macro est_list_filter(list, var, condition) -%}
    {{ return(adapter.dispatch('est_list_filter', 'est_pipeline')(list, var, condition)) }}
{%- endmacro %}
{% macro duckdb__est_list_filter(list, var, condition) -%}
    list_filter({{ list }}, lambda {{ var }}: {{ condition }})
{%- endmacro %}
{% macro default__est_list_filter(list, var, condition) -%}
    filter({{ list }}, {{ var }} -> {{ condition }})
{%- endmacro %}

{#- Each element once, sorted. -#}
{% macro est_list_sort_distinct(list) -%}
    {{ return(adapter.dispatch('est_list_sort_distinct', 'est_pipeline')(list)) }}
{%- endmacro %}
{% macro duckdb__est_list_sort_distinct(list) -%}
    list_sort(list_distinct({{ list }}))
{%- endmacro %}
{% macro default__est_list_sort_distinct(list) -%}
    array_sort(array_distinct(filter({{ list }}, x_ -> x_ is not null)))
{%- endmacro %}

{#- A list of lists as one list. -#}
{% macro est_list_flatten(list) -%}
    {{ return(adapter.dispatch('est_list_flatten', 'est_pipeline')(list)) }}
{%- endmacro %}
{% macro duckdb__est_list_flatten(list) -%}
    flatten({{ list }})
{%- endmacro %}
{% macro default__est_list_flatten(list) -%}
    flatten({{ list }})
{%- endmacro %}

{#- The list with one element added at the end. -#}
{% macro est_list_append(list, value) -%}
    {{ return(adapter.dispatch('est_list_append', 'est_pipeline')(list, value)) }}
{%- endmacro %}
{% macro duckdb__est_list_append(list, value) -%}
    list_append({{ list }}, {{ value }})
{%- endmacro %}
{% macro default__est_list_append(list, value) -%}
    concat({{ list }}, array[{{ value }}])
{%- endmacro %}

{#- Number of elements. DuckDB: len; Trino and ANSI: cardinality. -#}
{% macro est_list_length(list) -%}
    {{ return(adapter.dispatch('est_list_length', 'est_pipeline')(list)) }}
{%- endmacro %}
{% macro duckdb__est_list_length(list) -%}
    len({{ list }})
{%- endmacro %}
{% macro default__est_list_length(list) -%}
    cardinality({{ list }})
{%- endmacro %}

{#- Element i (from 1), null when the list is shorter. DuckDB: list[i]; Trino's [i] fails
    past the end, element_at does not. -#}
{% macro est_list_element(list, i) -%}
    {{ return(adapter.dispatch('est_list_element', 'est_pipeline')(list, i)) }}
{%- endmacro %}
{% macro duckdb__est_list_element(list, i) -%}
    {{ list }}[{{ i }}]
{%- endmacro %}
{% macro default__est_list_element(list, i) -%}
    element_at({{ list }}, {{ i }})
{%- endmacro %}

{#- Elements from (from 1) to (inclusive). DuckDB: list_slice(l, from, to); Trino:
    slice(l, from, length). -#}
{% macro est_list_slice(list, from, to) -%}
    {{ return(adapter.dispatch('est_list_slice', 'est_pipeline')(list, from, to)) }}
{%- endmacro %}
{% macro duckdb__est_list_slice(list, from, to) -%}
    list_slice({{ list }}, {{ from }}, {{ to }})
{%- endmacro %}
{% macro default__est_list_slice(list, from, to) -%}
    slice({{ list }}, {{ from }}, ({{ to }}) - ({{ from }}) + 1)
{%- endmacro %}

{#- The elements joined into one string. DuckDB: array_to_string; Trino: array_join. -#}
{% macro est_list_join(list, separator) -%}
    {{ return(adapter.dispatch('est_list_join', 'est_pipeline')(list, separator)) }}
{%- endmacro %}
{% macro duckdb__est_list_join(list, separator) -%}
    array_to_string({{ list }}, {{ separator }})
{%- endmacro %}
{% macro default__est_list_join(list, separator) -%}
    array_join({{ list }}, {{ separator }})
{%- endmacro %}

{#- A string split at a separator into a list. DuckDB: string_split; Trino: split. -#}
{% macro est_split(s, separator) -%}
    {{ return(adapter.dispatch('est_split', 'est_pipeline')(s, separator)) }}
{%- endmacro %}
{% macro duckdb__est_split(s, separator) -%}
    string_split({{ s }}, {{ separator }})
{%- endmacro %}
{% macro default__est_split(s, separator) -%}
    split({{ s }}, {{ separator }})
{%- endmacro %}


{#- ===== Sums over a series (the Poisson tails) ========================================== -#}

{#- Sum of an expression of `var` for var = start, start + 1, … up to but excluding stop
    (null when there are no terms). DuckDB: list_sum(list_transform(range(), lambda));
    Trino: reduce over sequence(). Also: ln of k! for the Poisson terms, DuckDB's lgamma(k + 1),
    which Trino does not have (summed as ln 1 + … + ln k). -#}
{% macro est_sum_over_range(start, stop, var, expr) -%}
    {{ return(adapter.dispatch('est_sum_over_range', 'est_pipeline')(start, stop, var, expr)) }}
{%- endmacro %}
{% macro duckdb__est_sum_over_range(start, stop, var, expr) -%}
    list_sum(list_transform(
            range({% if start is not none %}{{ start }},
                {% endif %}{{ stop }}),
            lambda {{ var }}: {{ expr }}
        ))
{%- endmacro %}
{% macro default__est_sum_over_range(start, stop, var, expr) -%}
    reduce(
        filter(sequence({{ start if start is not none else 0 }}, {{ stop }}), {{ var }}_ -> {{ var }}_ < {{ stop }}),
        cast(null as double),
        (acc_, {{ var }}) -> coalesce(acc_, 0) + ({{ expr }}),
        acc_ -> acc_
    )
{%- endmacro %}

{% macro est_ln_factorial(k) -%}
    {{ return(adapter.dispatch('est_ln_factorial', 'est_pipeline')(k)) }}
{%- endmacro %}
{% macro duckdb__est_ln_factorial(k) -%}
    lgamma({{ k }} + 1)
{%- endmacro %}
{% macro default__est_ln_factorial(k) -%}
    reduce(sequence(1, greatest({{ k }}, 1)), 0e0, (a_, i_) -> a_ + ln(i_), a_ -> a_)
{%- endmacro %}


{#- ===== Geometry (only the SQL version of int_event_points_located uses these) ========== -#}

{#- A point in SWEREF 99 TM (EPSG:3006) from coordinates x, y in the system `crs` names
    ('EPSG:3006': x east, y north; 'EPSG:4326': x longitude, y latitude). DuckDB: not used
    (the Python model transforms with pyproj). Trino has ST_Point but no ST_Transform, so a
    WGS84 point gives null (not located); an engine with ST_Transform (PostGIS, Sedona)
    adds <adapter>__est_sweref_point with ST_Transform(point, 'EPSG:4326', 'EPSG:3006'). -#}
{% macro est_sweref_point(x, y, crs) -%}
    {{ return(adapter.dispatch('est_sweref_point', 'est_pipeline')(x, y, crs)) }}
{%- endmacro %}
{% macro default__est_sweref_point(x, y, crs) -%}
    case when {{ crs }} = 'EPSG:3006' then ST_Point({{ x }}, {{ y }}) end
{%- endmacro %}
