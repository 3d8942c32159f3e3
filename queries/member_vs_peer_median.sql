-- One row per health metric for member $member_id: its window total beside the median of the
-- scored members in its peer group (same segment and tier, the member itself included when
-- scored).
with member as (
    select
        h.member_id,
        h.segment,
        h.tier,
        h.page_views,
        h.unique_visitors,
        h.inquiries,
        h.messages,
        h.contact_views,
        h.ad_clicks
    from member_health as h
    where h.member_id = $member_id
),

peers as (
    select
        p.member_id,
        p.page_views,
        p.unique_visitors,
        p.inquiries,
        p.messages,
        p.contact_views,
        p.ad_clicks
    from member_health as p
    inner join member as m on p.segment = m.segment and p.tier = m.tier
    where p.status = 'scored'
),

peer_medians as (
    select
        median(p.page_views) as page_views,
        median(p.unique_visitors) as unique_visitors,
        median(p.inquiries) as inquiries,
        median(p.messages) as messages,
        median(p.contact_views) as contact_views,
        median(p.ad_clicks) as ad_clicks,
        count(*) as peer_count
    from peers as p
),

-- Parallel unnests zip the three lists into one row per metric.
final as (
    select
        unnest([1, 2, 3, 4, 5, 6]) as metric_order,
        unnest([
            'page_views', 'unique_visitors', 'inquiries', 'messages', 'contact_views',
            'ad_clicks'
        ]) as metric,
        unnest([
            m.page_views, m.unique_visitors, m.inquiries, m.messages, m.contact_views,
            m.ad_clicks
        ]) as member_value,
        unnest([
            pm.page_views, pm.unique_visitors, pm.inquiries, pm.messages, pm.contact_views,
            pm.ad_clicks
        ]) as peer_median,
        pm.peer_count
    from member as m
    cross join peer_medians as pm
)

select * from final
order by metric_order
