-- One row per contract: the month it was signed (its start), the member's rep and team, and
-- whether it is new business or a renewal. A renewal is a contract that contract_renewals
-- names as renewing a due contract of the member (within the early and grace windows, the
-- renewals.* settings); every other contract, a win-back after the grace period included,
-- is new business.
with

renewing_contracts as (
    select distinct r.renewal_contract_id as contract_id
    from contract_renewals as r
    where r.renewal_contract_id is not null
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
        case when rc.contract_id is not null then 'renewal' else 'new' end as kind
    from contracts as c
    inner join members as m on c.member_id = m.member_id
    left join renewing_contracts as rc on c.contract_id = rc.contract_id
    left join sales_staff as s on m.sales_rep = s.staff_name
)

select * from final
order by contract_id
