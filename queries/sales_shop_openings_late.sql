-- Contracts whose shop was not opened and filled within the deadline: overdue ones (still
-- not done) first, then late ones, most recent payment first.
select
    o.contract_id,
    o.member_id,
    o.company_name,
    o.sales_rep,
    o.after_sales_owner,
    o.paid_on,
    o.deadline_on,
    o.shop_opened_on,
    o.materials_uploaded_on,
    o.days_to_open,
    o.days_to_materials,
    o.status
from shop_openings as o
where o.status in ('overdue', 'late')
order by o.status = 'late' asc, o.paid_on desc, o.contract_id asc
