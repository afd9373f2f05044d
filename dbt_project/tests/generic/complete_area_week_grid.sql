{#- Every week present in the model has every area (× every category, when given): baselines
    and BI charts need a continuous grid with explicit zeros. -#}
{% test complete_area_week_grid(model, column_name='week_start', per_category=false) %}
with model_rows as (
    select * from {{ model }}
),
weeks as (
    select distinct {{ column_name }} as week_start from model_rows
),
expected as (
    select w.week_start, a.area_id{% if per_category %}, c.category{% endif %}
    from weeks as w
    cross join {{ ref('int_areas') }} as a
    {% if per_category %}cross join {{ ref('categories') }} as c{% endif %}
)
select e.*
from expected as e
left join model_rows as m
    on m.{{ column_name }} = e.week_start and m.area_id = e.area_id
    {% if per_category %}and m.category = e.category{% endif %}
where m.area_id is null
{% endtest %}
