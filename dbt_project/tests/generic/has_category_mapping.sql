{#- A partner's event type that the analysts' seed does not map to an EST category. Such
    rows are not dropped (they are listed in marts.unmapped_source_types); the test warns
    so the seed gets its new row. -#}
{% test has_category_mapping(model, column_name, source_name) %}
{{ config(severity='warn') }}
with delivered as (
    select {{ column_name }} as source_type from {{ model }}
)

select d.source_type, count(*) as n_rows
from delivered as d
left join {{ ref('category_mapping') }} as m
    on m.source = '{{ source_name }}' and m.source_type = d.source_type
where d.source_type is not null and m.category is null
group by d.source_type
{% endtest %}
