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

page_view_totals as (
    select
        d.member_id,
        sum(d.page_views) filter (where d.day between $window_start and $as_of) as page_views,
        sum(d.page_views) filter (
            where d.day between $previous_start and $previous_end
        ) as prev_page_views
    from member_daily as d
    group by d.member_id
),

-- Portal events come from the database, which may reach further back than the access logs.
event_totals as (
    select
        e.member_id,
        count(*) filter (where e.kind = 'inquiries' and e.day between $window_start and $as_of)
            as inquiries,
        count(*) filter (where e.kind = 'messages' and e.day between $window_start and $as_of)
            as messages,
        count(*) filter (
            where e.kind = 'contact_views' and e.day between $window_start and $as_of
        ) as contact_views,
        count(*) filter (where e.kind = 'ad_clicks' and e.day between $window_start and $as_of)
            as ad_clicks,
        count(*) filter (
            where e.kind = 'inquiries' and e.day between $previous_start and $previous_end
        ) as prev_inquiries,
        count(*) filter (
            where e.kind = 'messages' and e.day between $previous_start and $previous_end
        ) as prev_messages,
        count(*) filter (
            where e.kind = 'contact_views' and e.day between $previous_start and $previous_end
        ) as prev_contact_views,
        count(*) filter (
            where e.kind = 'ad_clicks' and e.day between $previous_start and $previous_end
        ) as prev_ad_clicks
    from (
        select
            ev.member_id,
            ev.kind,
            cast(ev.occurred_at as date) as day
        from stg_events as ev
    ) as e
    group by e.member_id
),

-- Visitors are distinct over the whole window, so they cannot be summed from daily counts.
visitor_totals as (
    select
        v.member_id,
        count(distinct v.visitor_id) filter (
            where v.day between $window_start and $as_of
        ) as unique_visitors,
        count(distinct v.visitor_id) filter (
            where v.day between $previous_start and $previous_end
        ) as prev_unique_visitors
    from stg_page_views as v
    inner join member_daily as d
        on v.member_id = d.member_id and v.day = d.day
    group by v.member_id
),

final as (
    select
        p.member_id,
        p.segment,
        p.tier,
        p.first_paid_on,
        coalesce(pv.page_views, 0) as page_views,
        coalesce(vt.unique_visitors, 0) as unique_visitors,
        coalesce(e.inquiries, 0) as inquiries,
        coalesce(e.messages, 0) as messages,
        coalesce(e.contact_views, 0) as contact_views,
        coalesce(e.ad_clicks, 0) as ad_clicks,
        coalesce(pv.prev_page_views, 0) as prev_page_views,
        coalesce(vt.prev_unique_visitors, 0) as prev_unique_visitors,
        coalesce(e.prev_inquiries, 0) as prev_inquiries,
        coalesce(e.prev_messages, 0) as prev_messages,
        coalesce(e.prev_contact_views, 0) as prev_contact_views,
        coalesce(e.prev_ad_clicks, 0) as prev_ad_clicks
    from paid_members as p
    left join page_view_totals as pv on p.member_id = pv.member_id
    left join visitor_totals as vt on p.member_id = vt.member_id
    left join event_totals as e on p.member_id = e.member_id
)

select * from final
order by member_id
