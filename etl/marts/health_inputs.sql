-- One row per paid member on $as_of: metric totals over the window and the previous window.
with

paid_members as (
    select
        m.member_id,
        m.segment,
        m.current_tier as tier,
        m.first_paid_on
    from members as m
    where m.is_paid
),

window_totals as (
    select
        d.member_id,
        sum(d.page_views) as page_views,
        sum(d.inquiries) as inquiries,
        sum(d.messages) as messages,
        sum(d.contact_views) as contact_views,
        sum(d.ad_clicks) as ad_clicks
    from member_daily as d
    where d.day between $window_start and $as_of
    group by d.member_id
),

previous_totals as (
    select
        d.member_id,
        sum(d.page_views) as page_views,
        sum(d.inquiries) as inquiries,
        sum(d.messages) as messages,
        sum(d.contact_views) as contact_views,
        sum(d.ad_clicks) as ad_clicks
    from member_daily as d
    where d.day between $previous_start and $previous_end
    group by d.member_id
),

-- Visitors are distinct over the whole window, so they cannot be summed from daily counts.
window_visitors as (
    select
        v.member_id,
        count(distinct v.visitor_id) as unique_visitors
    from stg_page_views as v
    inner join member_daily as d
        on v.member_id = d.member_id and v.day = d.day
    where v.day between $window_start and $as_of
    group by v.member_id
),

previous_visitors as (
    select
        v.member_id,
        count(distinct v.visitor_id) as unique_visitors
    from stg_page_views as v
    inner join member_daily as d
        on v.member_id = d.member_id and v.day = d.day
    where v.day between $previous_start and $previous_end
    group by v.member_id
),

final as (
    select
        p.member_id,
        p.segment,
        p.tier,
        p.first_paid_on,
        coalesce(w.page_views, 0) as page_views,
        coalesce(wv.unique_visitors, 0) as unique_visitors,
        coalesce(w.inquiries, 0) as inquiries,
        coalesce(w.messages, 0) as messages,
        coalesce(w.contact_views, 0) as contact_views,
        coalesce(w.ad_clicks, 0) as ad_clicks,
        coalesce(pt.page_views, 0) as prev_page_views,
        coalesce(pv.unique_visitors, 0) as prev_unique_visitors,
        coalesce(pt.inquiries, 0) as prev_inquiries,
        coalesce(pt.messages, 0) as prev_messages,
        coalesce(pt.contact_views, 0) as prev_contact_views,
        coalesce(pt.ad_clicks, 0) as prev_ad_clicks
    from paid_members as p
    left join window_totals as w on p.member_id = w.member_id
    left join previous_totals as pt on p.member_id = pt.member_id
    left join window_visitors as wv on p.member_id = wv.member_id
    left join previous_visitors as pv on p.member_id = pv.member_id
)

select * from final
order by member_id
