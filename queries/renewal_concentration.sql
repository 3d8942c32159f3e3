-- One row per paying member: the sum of its contract amounts that started in the 12 months
-- ending on as_of, largest first. The page derives the top-20% share and the Pareto curve.
with

params as (
    select cast(s.value as date) as as_of
    from renewal_settings as s
    where s.key = 'as_of'
),

revenue as (
    select
        c.member_id,
        sum(c.amount_cny) as revenue_cny
    from contracts as c
    cross join params
    where
        c.start_date > cast(params.as_of - interval 12 month as date)
        and c.start_date <= params.as_of
    group by c.member_id
),

final as (
    select
        revenue.member_id,
        m.company_name,
        m.segment,
        revenue.revenue_cny
    from revenue
    inner join members as m on revenue.member_id = m.member_id
    where revenue.revenue_cny > 0
)

select * from final
order by revenue_cny desc, member_id asc
