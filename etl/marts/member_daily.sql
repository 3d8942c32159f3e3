-- One row per paid member per day, from $first_day to $as_of, on days a contract covers it.
with

days as (
    select cast(d.generate_series as date) as day
    from generate_series(cast($first_day as date), cast($as_of as date), interval 1 day) as d
),

paid_days as (
    select distinct
        c.member_id,
        d.day
    from stg_contracts as c
    inner join days as d
        on d.day between c.start_date and c.end_date
),

views as (
    select
        v.member_id,
        v.day,
        count(*) as page_views,
        count(distinct v.visitor_id) as unique_visitors,
        count(*) filter (where v.source_class = 'search') as views_search,
        count(*) filter (where v.source_class = 'internal') as views_internal,
        count(*) filter (where v.source_class = 'social') as views_social,
        count(*) filter (where v.source_class = 'ad') as views_ad,
        count(*) filter (where v.source_class = 'referral') as views_referral,
        count(*) filter (where v.source_class = 'direct') as views_direct
    from stg_page_views as v
    group by v.member_id, v.day
),

events as (
    select
        e.member_id,
        cast(e.occurred_at as date) as day,
        count(*) filter (where e.kind = 'contact_views') as contact_views,
        count(*) filter (where e.kind = 'ad_clicks') as ad_clicks,
        count(*) filter (where e.kind = 'messages') as messages,
        count(*) filter (where e.kind = 'inquiries') as inquiries
    from stg_events as e
    group by e.member_id, cast(e.occurred_at as date)
),

final as (
    select
        p.member_id,
        p.day,
        coalesce(v.page_views, 0) as page_views,
        coalesce(v.unique_visitors, 0) as unique_visitors,
        coalesce(v.views_search, 0) as views_search,
        coalesce(v.views_internal, 0) as views_internal,
        coalesce(v.views_social, 0) as views_social,
        coalesce(v.views_ad, 0) as views_ad,
        coalesce(v.views_referral, 0) as views_referral,
        coalesce(v.views_direct, 0) as views_direct,
        coalesce(e.contact_views, 0) as contact_views,
        coalesce(e.ad_clicks, 0) as ad_clicks,
        coalesce(e.messages, 0) as messages,
        coalesce(e.inquiries, 0) as inquiries
    from paid_days as p
    left join views as v
        on p.member_id = v.member_id and p.day = v.day
    left join events as e
        on p.member_id = e.member_id and p.day = e.day
)

select * from final
order by member_id, day
