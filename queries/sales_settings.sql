-- The sales and universe settings the published numbers used (sales_settings), as key, value.
select
    s.key,
    s.value
from sales_settings as s
order by s.key
