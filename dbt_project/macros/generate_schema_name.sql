{#- Custom schemas are used as they are (`marts`, not `main_marts`): BI tools and the other
    concerns read `marts.weekly_situation`, whatever the target's default schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
