-- One row per distinct (segment, tier, sales rep, band) among paid members in member_health.
with health as (
    select
        h.member_id,
        h.segment,
        h.tier,
        h.band
    from member_health as h
),

members as (
    select
        m.member_id,
        m.sales_rep
    from members as m
),

final as (
    select distinct
        h.segment,
        h.tier,
        m.sales_rep,
        h.band
    from health as h
    left join members as m on h.member_id = m.member_id
)

select * from final
order by segment, tier, sales_rep, band
