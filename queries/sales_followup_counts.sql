-- Prospects by number of follow-ups since their last contract, with how many of them have
-- had none for more than $stale_days days.
select
    p.followups,
    count(*) as prospects,
    count(*) filter (where p.days_since_followup > cast($stale_days as integer)) as stale
from sales_prospects as p
group by p.followups
order by p.followups asc
