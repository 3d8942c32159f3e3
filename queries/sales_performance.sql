-- One row per rep for one period: target, signed new and renewal amounts, gap and run-rate
-- projection. $period is month or quarter; $period_start is the period's first day.
with params as (
    select
        cast($period as varchar) as period,
        cast($period_start as date) as period_start
)

select
    s.sales_rep,
    s.team,
    s.target_cny,
    s.signed_new_cny,
    s.signed_renewal_cny,
    s.signed_cny,
    s.gap_cny,
    s.projected_cny,
    s.projected_gap_cny,
    s.days_elapsed,
    s.days_in_period
from sales_performance as s
cross join params as p
where s.period = p.period and s.period_start = p.period_start
order by s.team asc nulls last, s.sales_rep asc nulls last
