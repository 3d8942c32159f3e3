-- The months or quarters ($period: month or quarter) that have targets or signed amounts,
-- latest first.
select distinct
    p.period_start,
    p.period_end
from sales_performance as p
where p.period = cast($period as varchar)
order by p.period_start desc
