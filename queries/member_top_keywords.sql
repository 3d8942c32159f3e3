-- One row per search engine and keyword for member $member_id over its health window: the
-- $max_rows keywords with the most page views.
with params as (
    select cast($max_rows as bigint) as max_rows
),

health_window as (
    select
        h.member_id,
        h.window_start,
        h.window_end
    from member_health as h
    where h.member_id = $member_id
),

keywords as (
    select
        k.member_id,
        k.day,
        k.search_engine,
        k.keyword,
        k.page_views
    from member_search_keywords as k
    where k.member_id = $member_id
),

totals as (
    select
        k.keyword,
        k.search_engine,
        cast(sum(k.page_views) as bigint) as page_views
    from keywords as k
    inner join health_window as w
        on k.member_id = w.member_id and k.day between w.window_start and w.window_end
    group by k.keyword, k.search_engine
),

ranked as (
    select
        t.keyword,
        t.search_engine,
        t.page_views,
        row_number() over (
            order by t.page_views desc, t.keyword asc, t.search_engine asc
        ) as keyword_rank
    from totals as t
),

final as (
    select
        r.keyword_rank,
        r.keyword,
        r.search_engine,
        r.page_views
    from ranked as r
    cross join params as p
    where r.keyword_rank <= p.max_rows
)

select * from final
order by keyword_rank
