-- One row per scored pending contract ending within $days days after as_of (or already in
-- its grace period), for after-sales owner $owner (null for all); highest expected revenue
-- at risk first, then fewest days left.
with

params as (
    select
        cast(s.value as date) as as_of,
        cast($days as integer) as days,
        cast($owner as varchar) as owner
    from renewal_settings as s
    where s.key = 'as_of'
),

final as (
    select
        r.contract_id,
        r.member_id,
        r.company_name,
        r.segment,
        r.tier,
        r.sales_rep,
        r.after_sales_owner,
        r.end_date,
        r.amount_cny,
        r.risk,
        r.expected_revenue_at_risk,
        r.reasons,
        r.method,
        r.health_score,
        r.band,
        r.low_reasons,
        r.renewal_kind,
        r.end_date - params.as_of as days_left
    from renewal_risk as r
    cross join params
    where
        r.end_date - params.as_of <= params.days
        and (params.owner is null or r.after_sales_owner = params.owner)
)

select * from final
order by expected_revenue_at_risk desc, days_left asc, contract_id asc
