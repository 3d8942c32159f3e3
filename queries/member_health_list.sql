-- One row per paid member in member_health, with its window metrics, score, band and reasons.
-- Filters $segment, $tier, $sales_rep and $band are null for "all".
with params as (
    select
        cast($segment as varchar) as segment,
        cast($tier as varchar) as tier,
        cast($sales_rep as varchar) as sales_rep,
        cast($band as varchar) as band
),

health as (
    select
        h.member_id,
        h.as_of,
        h.window_start,
        h.window_end,
        h.segment,
        h.tier,
        h.peer_count,
        h.status,
        h.page_views,
        h.unique_visitors,
        h.inquiries,
        h.messages,
        h.contact_views,
        h.ad_clicks,
        h.inquiries_per_1000_views,
        h.contact_view_rate,
        h.health_score,
        h.band,
        h.low_reasons,
        h.fallen_metrics
    from member_health as h
),

members as (
    select
        m.member_id,
        m.company_name,
        m.sales_rep
    from members as m
),

final as (
    select
        h.member_id,
        m.company_name,
        h.segment,
        h.tier,
        m.sales_rep,
        h.page_views,
        h.unique_visitors,
        h.inquiries,
        h.messages,
        h.contact_views,
        h.ad_clicks,
        h.inquiries_per_1000_views,
        h.contact_view_rate,
        h.health_score,
        h.band,
        h.status,
        h.low_reasons,
        h.fallen_metrics,
        h.peer_count,
        h.as_of,
        h.window_start,
        h.window_end
    from health as h
    left join members as m on h.member_id = m.member_id
    cross join params as p
    where
        (p.segment is null or h.segment = p.segment)
        and (p.tier is null or h.tier = p.tier)
        and (p.sales_rep is null or m.sales_rep = p.sales_rep)
        and (p.band is null or h.band = p.band)
)

select * from final
order by health_score asc nulls last, company_name asc, member_id asc
