-- Per month of payment: contracts, median days to open the shop and to upload its materials,
-- and how many finished on time, late, are overdue or still within the deadline.
select
    date_trunc('month', o.paid_on)::date as month,
    count(*) as contracts,
    median(o.days_to_open) as median_days_to_open,
    median(o.days_to_materials) as median_days_to_materials,
    count(*) filter (where o.status = 'on_time') as on_time,
    count(*) filter (where o.status = 'late') as late,
    count(*) filter (where o.status = 'overdue') as overdue,
    count(*) filter (where o.status = 'in_progress') as in_progress
from shop_openings as o
group by date_trunc('month', o.paid_on)
order by month desc
