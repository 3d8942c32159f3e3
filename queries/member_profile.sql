-- One row for member $member_id: its registration data and, when paid, its health window.
with members as (
    select
        m.member_id,
        m.company_name,
        m.segment,
        m.province,
        m.company_size,
        m.registered_on,
        m.shop_slug,
        m.sales_rep,
        m.after_sales_owner,
        m.is_paid,
        m.current_tier,
        m.first_paid_on
    from members as m
    where m.member_id = $member_id
),

health as (
    select
        h.member_id,
        h.as_of,
        h.window_start,
        h.window_end,
        h.tier,
        h.peer_count,
        h.status,
        h.health_score,
        h.band,
        h.low_reasons,
        h.fallen_metrics
    from member_health as h
    where h.member_id = $member_id
),

final as (
    select
        m.member_id,
        m.company_name,
        m.segment,
        m.province,
        m.company_size,
        m.registered_on,
        m.shop_slug,
        m.sales_rep,
        m.after_sales_owner,
        m.is_paid,
        m.current_tier,
        m.first_paid_on,
        h.as_of,
        h.window_start,
        h.window_end,
        h.peer_count,
        h.status,
        h.health_score,
        h.band,
        h.low_reasons,
        h.fallen_metrics
    from members as m
    left join health as h on m.member_id = h.member_id
)

select * from final
