-- One row per after-sales owner who looks after a scored contract, for the queue's filter.
select distinct r.after_sales_owner
from renewal_risk as r
where r.after_sales_owner is not null
order by r.after_sales_owner
