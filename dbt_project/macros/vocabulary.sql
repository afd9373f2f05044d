{#- The partners' Swedish vocabulary → the English identifiers of the marts. -#}

{% macro partner_from_swedish(column) -%}
    case lower(trim({{ column }}))
        when 'kommun' then 'municipality'
        when 'polis' then 'police'
        when 'fastighetsbolag' then 'housing'
    end
{%- endmacro %}

{#- grön 0, gul 1, orange 2, röd 3; anything else is null (and fails an accepted_values test). -#}
{% macro rating_from_colour(column) -%}
    case lower(trim({{ column }}))
        when 'grön' then 0
        when 'gul' then 1
        when 'orange' then 2
        when 'röd' then 3
    end
{%- endmacro %}

{% macro intensity_from_swedish(column) -%}
    case lower(trim({{ column }}))
        when 'låg' then 1
        when 'medel' then 2
        when 'hög' then 3
    end
{%- endmacro %}

{#- Addresses are matched case- and space-insensitively: partners type them by hand. -#}
{% macro address_key(column) -%}
    nullif(lower({{ est_regexp_replace('trim(' ~ column ~ ')', "'\\s+'", "' '", 'g') }}), '')
{%- endmacro %}

{#- Free text comes with stray spaces and empty strings meaning "nothing". -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- An optional column the ingest added after the first release (e.g. Kommun in fault
    reports and housing cases): cleaned text where the raw table has it, else null. The
    ingest adds a new column to its raw table on its next load; until then a warehouse from
    an earlier release lacks it, and the staging model must still build. -#}
{% macro optional_text_column(relation, column) -%}
    {%- set present = namespace(value=false) -%}
    {%- if execute and flags.INTROSPECT != false -%}
        {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                              identifier=relation.identifier) -%}
        {%- if found is not none -%}
            {%- set present.value = column in (adapter.get_columns_in_relation(found)
                                                | map(attribute='name') | map('lower') | list) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if present.value -%}{{ clean_text(column) }}{%- else -%}cast(null as varchar){%- endif -%}
{%- endmacro %}
