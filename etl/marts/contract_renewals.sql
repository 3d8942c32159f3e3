-- One row per paid contract: when it is due, whether the member renewed it, and how.
-- A contract is renewed by the member's earliest later-starting contract that starts between
-- $early_days before and $grace_days after its end date; churned once the grace period has
-- passed without one (as_of later than end_date + grace_days); pending before that.
-- renewal_tier_ranks(tier, tier_rank) is a temporary table the mart builder fills first.
with

params as (
    select
        cast($as_of as date) as as_of,
        cast($early_days as integer) as early_days,
        cast($grace_days as integer) as grace_days
),

contract as (
    select
        c.contract_id,
        c.member_id,
        c.tier,
        c.start_date,
        c.end_date,
        c.amount_cny
    from contracts as c
),

member as (
    select
        m.member_id,
        m.segment,
        m.sales_rep,
        m.after_sales_owner
    from members as m
),

candidate as (
    select
        due.contract_id,
        nxt.contract_id as renewal_contract_id,
        nxt.tier as renewal_tier,
        nxt.start_date as renewal_start_date,
        nxt.amount_cny as renewal_amount_cny,
        row_number() over (
            partition by due.contract_id
            order by nxt.start_date, nxt.contract_id
        ) as candidate_rank
    from contract as due
    cross join params
    inner join contract as nxt
        on
            due.member_id = nxt.member_id
            and due.contract_id <> nxt.contract_id
            and due.start_date < nxt.start_date
            and due.end_date - params.early_days <= nxt.start_date
            and due.end_date + params.grace_days >= nxt.start_date
),

renewal as (
    select
        candidate.contract_id,
        candidate.renewal_contract_id,
        candidate.renewal_tier,
        candidate.renewal_start_date,
        candidate.renewal_amount_cny
    from candidate
    where candidate.candidate_rank = 1
),

renewing as (
    select distinct renewal.renewal_contract_id as contract_id
    from renewal
),

classified as (
    select
        contract.contract_id,
        contract.member_id,
        member.segment,
        member.sales_rep,
        member.after_sales_owner,
        contract.tier,
        contract.start_date,
        contract.end_date,
        contract.amount_cny,
        renewal.renewal_contract_id,
        renewal.renewal_tier,
        renewal.renewal_start_date,
        renewal.renewal_amount_cny,
        old_rank.tier_rank,
        new_rank.tier_rank as renewal_tier_rank,
        cast(date_trunc('month', contract.end_date) as date) as due_month,
        cast(date_trunc('quarter', contract.end_date) as date) as due_quarter,
        params.early_days,
        params.grace_days,
        contract.end_date - params.early_days as window_start,
        contract.end_date + params.grace_days as window_end,
        case
            when renewal.renewal_contract_id is not null then 'renewed'
            when params.as_of > contract.end_date + params.grace_days then 'churned'
            else 'pending'
        end as outcome,
        case
            when renewing.contract_id is null then 'new' else 'renewal'
        end as started_as
    from contract
    cross join params
    left join member on contract.member_id = member.member_id
    left join renewal on contract.contract_id = renewal.contract_id
    left join renewing on contract.contract_id = renewing.contract_id
    left join renewal_tier_ranks as old_rank on contract.tier = old_rank.tier
    left join renewal_tier_ranks as new_rank on renewal.renewal_tier = new_rank.tier
),

final as (
    select
        contract_id,
        member_id,
        segment,
        sales_rep,
        after_sales_owner,
        tier,
        start_date,
        end_date,
        amount_cny,
        due_month,
        due_quarter,
        window_start,
        window_end,
        outcome,
        renewal_contract_id,
        renewal_tier,
        renewal_start_date,
        renewal_amount_cny,
        started_as,
        early_days,
        grace_days,
        case outcome
            when 'renewed' then renewal_start_date
            when 'churned' then window_end + 1
        end as decided_on,
        -- The first renewal is that of a contract that was itself new business.
        case started_as when 'new' then 'first' else 'later' end as renewal_kind,
        case
            when renewal_contract_id is null then null
            when renewal_tier_rank > tier_rank then 'upgrade'
            when renewal_tier_rank < tier_rank then 'downgrade'
            else 'same'
        end as tier_change,
        renewal_start_date - end_date as days_from_end,
        renewal_amount_cny - amount_cny as amount_change_cny
    from classified
)

select * from final
order by contract_id
