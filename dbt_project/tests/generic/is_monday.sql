{#- Weeks are keyed by their Monday (ISO weeks, Monday start). -#}
{% test is_monday(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and {{ est_isodow(column_name) }} <> 1
{% endtest %}
