{#- SCB's DeSO code: four digits of the municipality, a letter A-C, four digits. -#}
{% macro deso_pattern() -%}
    '^\d{4}[A-C]\d{4}$'
{%- endmacro %}

{#- A municipality named the way partners write it ("Örebro", "Örebro kommun", "ÖREBRO")
    as one comparable key. The genitive of "Norrviks kommun" is matched by comparing with
    the name and the name + "s" (see int_police_deso_records). -#}
{% macro municipality_key(column) -%}
    nullif(lower(trim({{ est_regexp_replace('trim(' ~ column ~ ')', "'\\s+kommun$'", "''", 'i') }})), '')
{%- endmacro %}
