{#- A partner's event type (or crime code) that no list decides on: not in the analysts'
    category_mapping seed, nor in the police's code lists as tracked or deliberately not
    tracked. Such rows are not dropped (marts.unmapped_source_types lists them); the test
    warns so that a list gets its new row. -#}
{% test has_category_mapping(model, column_name, source_name) %}
{{ config(severity='warn') }}
with delivered as (
    select {{ column_name }} as source_type from {{ model }}
)

select d.source_type, count(*) as n_rows
from delivered as d
left join {{ ref('int_source_type_decisions') }} as m
    on m.source = '{{ source_name }}' and m.source_type = d.source_type
where d.source_type is not null and m.decision is null
group by d.source_type
{% endtest %}
