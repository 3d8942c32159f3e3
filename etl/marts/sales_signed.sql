-- One row per contract: the month it was signed (its start), the member's rep and team, and
-- whether it is new business or a renewal. A renewal follows an earlier contract of the same
-- member that ended at most $renewal_window_days days before it starts, or still runs.
with

settings as (
    select $renewal_window_days::integer as renewal_window_days
),

previous_ends as (
    select
        c.contract_id,
        max(p.end_date) as previous_end
    from contracts as c
    inner join contracts as p
        on
            c.member_id = p.member_id
            and (
                c.start_date > p.start_date
                or (c.start_date = p.start_date and c.contract_id > p.contract_id)
            )
    group by c.contract_id
),

final as (
    select
        c.contract_id,
        c.member_id,
        m.sales_rep,
        s.team,
        date_trunc('month', c.start_date)::date as month,
        c.start_date,
        c.amount_cny,
        case
            when
                pe.previous_end is not null
                and pe.previous_end + cfg.renewal_window_days >= c.start_date
                then 'renewal'
            else 'new'
        end as kind
    from contracts as c
    inner join members as m on c.member_id = m.member_id
    left join previous_ends as pe on c.contract_id = pe.contract_id
    left join sales_staff as s on m.sales_rep = s.staff_name
    cross join settings as cfg
)

select * from final
order by contract_id
