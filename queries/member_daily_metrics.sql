-- One row per day for member $member_id: its daily metrics, oldest day first.
with daily as (
    select
        d.member_id,
        d.day,
        d.page_views,
        d.unique_visitors,
        d.inquiries,
        d.messages,
        d.contact_views,
        d.ad_clicks
    from member_daily as d
    where d.member_id = $member_id
),

final as (
    select
        d.day,
        d.page_views,
        d.unique_visitors,
        d.inquiries,
        d.messages,
        d.contact_views,
        d.ad_clicks
    from daily as d
)

select * from final
order by day
