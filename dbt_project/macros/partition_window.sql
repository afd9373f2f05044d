{#- The partition window a run works on: vars min_date (inclusive) and max_date (exclusive),
    passed by Dagster from the weekly partition (est_pipeline.defs.partitions.window_vars). -#}

{% macro window_start() -%}
    cast('{{ var("min_date") }}' as date)
{%- endmacro %}

{% macro window_end() -%}
    cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{% macro in_window(column) -%}
    ({{ column }} >= {{ window_start() }} and {{ column }} < {{ window_end() }})
{%- endmacro %}

{#- Pre-hook of the weekly incremental marts: a partition replaces exactly its own weeks.
    Deleting the whole window (not just the keys the new result has) means a row that
    disappears upstream also disappears from the mart; rows outside the window are never
    touched. Runs inside the model's transaction, so readers never see the gap. -#}
{% macro delete_partition_window(column='week_start') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_window(column) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
