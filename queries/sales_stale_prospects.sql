-- Prospects without a follow-up for more than $stale_days days, longest silence first.
select
    p.member_id,
    p.company_name,
    p.segment,
    p.sales_rep,
    p.team,
    p.followups,
    p.last_followup_on,
    p.days_since_followup
from sales_prospects as p
where p.days_since_followup > cast($stale_days as integer)
order by p.days_since_followup desc, p.member_id asc
