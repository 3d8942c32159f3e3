-- One row per member, day, search engine and keyword, for views whose referrer has a keyword.
with

final as (
    select
        v.member_id,
        v.day,
        v.search_engine,
        v.keyword,
        count(*) as page_views
    from stg_page_views as v
    where v.keyword is not null and v.keyword <> ''
    group by v.member_id, v.day, v.search_engine, v.keyword
)

select * from final
order by member_id, day, search_engine, keyword
