-- One row per contract ending in the $months months after as_of, soonest first. Contracts
-- renewed early are listed beside pending ones, and a pending one has its risk when scored.
with

params as (
    select
        cast(s.value as date) as as_of,
        cast($months as integer) as months
    from renewal_settings as s
    where s.key = 'as_of'
),

due as (
    select
        r.contract_id,
        r.member_id,
        r.segment,
        r.tier,
        r.sales_rep,
        r.after_sales_owner,
        r.end_date,
        r.amount_cny,
        r.renewal_kind,
        r.due_month,
        r.outcome
    from contract_renewals as r
    cross join params
    where
        r.end_date > params.as_of
        and r.end_date <= cast(params.as_of + to_months(params.months) as date)
),

final as (
    select
        due.contract_id,
        due.member_id,
        m.company_name,
        due.segment,
        due.tier,
        due.sales_rep,
        due.after_sales_owner,
        due.end_date,
        due.due_month,
        due.amount_cny,
        due.renewal_kind,
        due.outcome,
        risk.risk,
        risk.expected_revenue_at_risk
    from due
    inner join members as m on due.member_id = m.member_id
    left join renewal_risk as risk on due.contract_id = risk.contract_id
)

select * from final
order by end_date, contract_id
