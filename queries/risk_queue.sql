-- One row per scored pending contract ending within $days days after as_of (or already in
-- its grace period), for staff member $owner (null for all); highest expected revenue at
-- risk first, then fewest days left. $owner_column names the member column that $owner is
-- matched against: 'sales_rep', 'after_sales_owner' or 'either' (a viewer who may be both).
with

params as (
    select
        cast(s.value as date) as as_of,
        cast($days as integer) as days,
        cast($owner as varchar) as owner,
        cast($owner_column as varchar) as owner_column
    from renewal_settings as s
    where s.key = 'as_of'
),

owned as (
    select
        r.*,
        params.owner is null
        or (
            params.owner_column in ('sales_rep', 'either')
            and r.sales_rep = params.owner
        )
        or (
            params.owner_column in ('after_sales_owner', 'either')
            and r.after_sales_owner = params.owner
        ) as is_owned,
        r.end_date - params.as_of as days_left
    from renewal_risk as r
    cross join params
    where r.end_date - params.as_of <= params.days
),

final as (
    select
        contract_id,
        member_id,
        company_name,
        segment,
        tier,
        sales_rep,
        after_sales_owner,
        end_date,
        amount_cny,
        risk,
        expected_revenue_at_risk,
        reasons,
        method,
        health_score,
        band,
        low_reasons,
        renewal_kind,
        days_left
    from owned
    where is_owned
)

select * from final
order by expected_revenue_at_risk desc, days_left asc, contract_id asc
