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
