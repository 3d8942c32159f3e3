-- The companies behind one number of segment_share. $segment null means every segment;
-- $company_group is one of known, listed, registered, paying, big, big_not_paying,
-- big_never_registered.
with params as (
    select
        cast($segment as varchar) as segment,
        cast($company_group as varchar) as company_group,
        cast($big_capital as double) as big_capital,
        cast($big_staff as bigint) as big_staff
),

companies as (
    select
        u.company_key,
        u.member_id,
        u.company_name,
        u.segment,
        u.province,
        u.credit_code,
        u.registered_capital_cny,
        u.staff_count,
        u.in_list,
        u.is_registered,
        m.sales_rep,
        coalesce(m.is_paid, false) as is_paid,
        coalesce(u.registered_capital_cny >= p.big_capital, false)
        or coalesce(u.staff_count >= p.big_staff, false) as is_big,
        p.company_group
    from universe_companies as u
    cross join params as p
    left join members as m on u.member_id = m.member_id
    where p.segment is null or u.segment = p.segment
),

revenue as (
    select
        s.member_id,
        sum(s.amount_cny) as signed_cny
    from sales_signed as s
    group by s.member_id
)

select
    c.company_key,
    c.member_id,
    c.company_name,
    c.segment,
    c.province,
    c.credit_code,
    c.registered_capital_cny,
    c.staff_count,
    c.in_list,
    c.is_registered,
    c.is_paid,
    c.is_big,
    c.sales_rep,
    r.signed_cny
from companies as c
left join revenue as r on c.member_id = r.member_id
where
    c.company_group = 'known'
    or (c.company_group = 'listed' and c.in_list)
    or (c.company_group = 'registered' and c.is_registered)
    or (c.company_group = 'paying' and c.is_paid)
    or (c.company_group = 'big' and c.is_big)
    or (c.company_group = 'big_not_paying' and c.is_big and not c.is_paid)
    or (c.company_group = 'big_never_registered' and c.is_big and not c.is_registered)
order by
    c.is_paid desc,
    c.registered_capital_cny desc nulls last,
    c.company_name asc
