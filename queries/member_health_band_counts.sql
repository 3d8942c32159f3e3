-- One row per band present among the filtered paid members: band and member count.
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

filtered as (
    select
        h.member_id,
        h.band
    from health as h
    left join members as m on h.member_id = m.member_id
    cross join params as p
    where
        (p.segment is null or h.segment = p.segment)
        and (p.tier is null or h.tier = p.tier)
        and (p.sales_rep is null or m.sales_rep = p.sales_rep)
        and (p.band is null or h.band = p.band)
),

final as (
    select
        f.band,
        count(*) as members
    from filtered as f
    group by f.band
)

select * from final
order by band
