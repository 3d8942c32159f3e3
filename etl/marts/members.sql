-- One row per registered company, with its paid status and tier on $as_of.
with

contracts_covering_as_of as (
    select
        c.member_id,
        c.tier,
        row_number() over (
            partition by c.member_id order by c.start_date desc, c.contract_id desc
        ) as recency
    from stg_contracts as c
    where c.start_date <= $as_of and c.end_date >= $as_of
),

first_contracts as (
    select
        c.member_id,
        min(c.start_date) as first_paid_on
    from stg_contracts as c
    group by c.member_id
),

final as (
    select
        m.member_id,
        m.company_name,
        m.segment,
        m.province,
        m.company_size,
        m.registered_on,
        m.shop_slug,
        m.sales_rep,
        m.after_sales_owner,
        cov.member_id is not null as is_paid,
        cov.tier as current_tier,
        f.first_paid_on
    from stg_members as m
    left join contracts_covering_as_of as cov
        on m.member_id = cov.member_id and cov.recency = 1
    left join first_contracts as f
        on m.member_id = f.member_id
)

select * from final
order by member_id
