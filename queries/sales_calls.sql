-- Calls per rep and month from $period_start to $period_end, against the required number.
with params as (
    select
        cast($period_start as date) as period_start,
        cast($period_end as date) as period_end
),

required as (
    select s.value as required_calls
    from sales_settings as s
    where s.key = 'required_calls_per_month'
)

select
    c.month,
    c.sales_rep,
    st.team,
    c.calls,
    r.required_calls,
    c.calls < r.required_calls as below_required
from call_counts as c
cross join params as p
cross join required as r
left join sales_staff as st on c.sales_rep = st.staff_name
where c.month between p.period_start and p.period_end
order by c.month asc, c.calls asc, c.sales_rep asc
