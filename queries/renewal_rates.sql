-- One row per due period ($period: 'month' or 'quarter') and group ($dimension: 'all',
-- 'segment', 'tier', 'sales_rep' or 'renewal_kind'): due, renewed, churned and pending
-- contracts and amounts, renewal rates, tier changes, and the same period a year earlier.
-- Rate by count = renewed / (renewed + churned); by amount = due amount of renewed contracts /
-- due amount of decided ones. Both are null in every group of a period while any contract of
-- that period, in any group, is pending. Renewals are decided early but churn only after the
-- grace period, so a partly decided period would overstate the rate. Leaving the whole period
-- out keeps the overall rate the same under every grouping, and the groups add up to it.
with

params as (
    select
        cast($period as varchar) as period_kind,
        cast($dimension as varchar) as dimension
),

renewal as (
    select
        r.outcome,
        r.amount_cny,
        r.tier_change,
        case params.period_kind
            when 'quarter' then r.due_quarter
            else r.due_month
        end as period,
        case params.dimension
            when 'segment' then r.segment
            when 'tier' then r.tier
            when 'sales_rep' then r.sales_rep
            when 'renewal_kind' then r.renewal_kind
            else 'all'
        end as group_value
    from contract_renewals as r
    cross join params
),

by_period as (
    select
        period,
        group_value,
        count(*) as due_count,
        count(*) filter (where outcome = 'renewed') as renewed_count,
        count(*) filter (where outcome = 'churned') as churned_count,
        count(*) filter (where outcome = 'pending') as pending_count,
        sum(amount_cny) as due_amount,
        coalesce(sum(amount_cny) filter (where outcome = 'renewed'), 0) as renewed_amount,
        coalesce(sum(amount_cny) filter (where outcome = 'churned'), 0) as churned_amount,
        coalesce(sum(amount_cny) filter (where outcome = 'pending'), 0) as pending_amount,
        count(*) filter (where tier_change = 'upgrade') as upgrade_count,
        count(*) filter (where tier_change = 'downgrade') as downgrade_count
    from renewal
    group by period, group_value
),

period_pending as (
    select
        period,
        sum(pending_count) as period_pending_count
    from by_period
    group by period
),

rated as (
    select
        b.*,
        case
            when p.period_pending_count = 0
                then b.renewed_count / nullif(b.renewed_count + b.churned_count, 0)
        end as rate_by_count,
        case
            when p.period_pending_count = 0
                then b.renewed_amount / nullif(b.renewed_amount + b.churned_amount, 0)
        end as rate_by_amount
    from by_period as b
    inner join period_pending as p on b.period = p.period
),

final as (
    select
        cur.period,
        cur.group_value,
        cur.due_count,
        cur.renewed_count,
        cur.churned_count,
        cur.pending_count,
        cur.due_amount,
        cur.renewed_amount,
        cur.churned_amount,
        cur.pending_amount,
        cur.upgrade_count,
        cur.downgrade_count,
        cur.rate_by_count,
        cur.rate_by_amount,
        prev.rate_by_count as year_earlier_rate_by_count,
        prev.rate_by_amount as year_earlier_rate_by_amount,
        prev.due_count as year_earlier_due_count,
        prev.due_amount as year_earlier_due_amount
    from rated as cur
    left join rated as prev
        on
            cur.group_value = prev.group_value
            and cast(cur.period - interval 1 year as date) = prev.period
)

select * from final
order by period, group_value
