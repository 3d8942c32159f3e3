-- New-business contracts won since the CRM records started, by the follow-ups they took.
select
    w.followups,
    count(*) as deals,
    sum(w.amount_cny) as amount_cny
from sales_won_deals as w
group by w.followups
order by w.followups asc
