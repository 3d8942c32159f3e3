-- One row per contract of member $member_id, oldest first.
with contracts as (
    select
        c.contract_id,
        c.member_id,
        c.tier,
        c.start_date,
        c.end_date,
        c.amount_cny
    from contracts as c
    where c.member_id = $member_id
),

final as (
    select
        c.contract_id,
        c.tier,
        c.start_date,
        c.end_date,
        c.amount_cny
    from contracts as c
)

select * from final
order by start_date, contract_id
