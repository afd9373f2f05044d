with source as (
    select * from {{ source('municipality', 'safety_survey') }}
),

renamed as (
    select
        {{ clean_text('svars_id') }} as response_id,
        ar as survey_year,
        upper({{ clean_text('omrades_id') }}) as area_id,
        {{ clean_text('aldersgrupp') }} as age_group,
        trygg_dag as safe_daytime,
        trygg_kvall as safe_evening,
        oro_brott as worry_crime,
        problem_ordning as disorder_problems,
        _file_name,
        _content_hash,
        _record_key,
        _row_number,
        _loaded_at
    from source
)

-- A response sent again (same year and Svars-ID, in any file) is one response: the latest
-- delivery. The survey has no intermediate model, so staging is where it is counted once.
select
    response_id,
    survey_year,
    area_id,
    age_group,
    safe_daytime,
    safe_evening,
    worry_crime,
    disorder_problems,
    _file_name,
    _content_hash,
    _record_key,
    _row_number,
    _loaded_at
from (
    select
        *,
        row_number() over (
            partition by coalesce(_record_key, _content_hash || ':' || cast(_row_number as varchar))
            order by _loaded_at desc, _file_name desc, _row_number desc
        ) as _delivery_rank
    from renamed
) as ranked
where _delivery_rank = 1
