-- One row per new-business contract signed since CRM follow-ups were first recorded, with
-- the follow-ups of its member after the previous contract ended and up to its start.
with

crm_start as (
    select min(f.followed_at)::date as first_day
    from followups as f
),

won as (
    select
        s.contract_id,
        s.member_id,
        s.sales_rep,
        s.team,
        s.start_date,
        s.amount_cny
    from sales_signed as s
    cross join crm_start as crm
    where s.kind = 'new' and s.start_date >= crm.first_day
),

previous_ends as (
    select
        w.contract_id,
        max(c.end_date) as previous_end
    from won as w
    inner join contracts as c
        on w.member_id = c.member_id and w.start_date > c.start_date
    group by w.contract_id
),

counted as (
    select
        w.contract_id,
        count(f.followup_id) as followups
    from won as w
    left join previous_ends as pe on w.contract_id = pe.contract_id
    left join followups as f
        on
            w.member_id = f.member_id
            and f.followed_at::date <= w.start_date
            and (pe.previous_end is null or f.followed_at::date > pe.previous_end)
    group by w.contract_id
),

final as (
    select
        w.contract_id,
        w.member_id,
        m.company_name,
        w.sales_rep,
        w.team,
        w.start_date,
        w.amount_cny,
        c.followups
    from won as w
    inner join counted as c on w.contract_id = c.contract_id
    inner join members as m on w.member_id = m.member_id
)

select * from final
order by contract_id
