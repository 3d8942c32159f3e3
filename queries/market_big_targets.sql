-- Big companies (registered capital or staff at the thresholds) that pay for no membership
-- on as_of: the sales target list. $segment null means every segment. Those that never
-- registered come first, then the largest.
with params as (
    select
        cast($segment as varchar) as segment,
        cast($big_capital as double) as big_capital,
        cast($big_staff as bigint) as big_staff
)

select
    u.company_key,
    u.company_name,
    u.segment,
    u.province,
    u.credit_code,
    u.registered_capital_cny,
    u.staff_count,
    u.is_registered,
    u.member_id,
    m.sales_rep,
    m.registered_on
from universe_companies as u
cross join params as p
left join members as m on u.member_id = m.member_id
where
    (p.segment is null or u.segment = p.segment)
    and not coalesce(m.is_paid, false)
    and (
        coalesce(u.registered_capital_cny >= p.big_capital, false)
        or coalesce(u.staff_count >= p.big_staff, false)
    )
order by
    u.is_registered asc,
    u.registered_capital_cny desc nulls last,
    u.staff_count desc nulls last,
    u.company_name asc
