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

{#- A county named the way the police's events API and partners write it ("Skåne län",
    "skåne län", "SKÅNE LÄN", "Skåne") as one comparable key: the name without " län". The
    seed's names are genitive ("Stockholms län", "Västra Götalands län"), so a name without
    the genitive "s" is matched by comparing the key + "s" too (see int_police_events_records). -#}
{% macro county_key(column) -%}
    nullif(lower(trim({{ est_regexp_replace('trim(' ~ column ~ ')', "'\\s+län$'", "''", 'i') }})), '')
{%- endmacro %}

{#- Every municipality a partner or the police may name, as (municipality_code, name_key): the
    deployment's own (named as its areas name them) and every municipality of the seed. Match
    a written name with municipality_key(name) in (name_key, name_key || 's'): the second
    catches the genitive ("Norrviks kommun"). -#}
{% macro municipality_name_keys() -%}
    select distinct municipality_code, {{ municipality_key('municipality_name') }} as name_key
    from (
        select municipality_code, municipality_name from {{ ref('int_municipalities') }}
        union
        select municipality_code, municipality_name from {{ ref('municipalities') }}
    ) as known
    where municipality_name is not null
{%- endmacro %}
