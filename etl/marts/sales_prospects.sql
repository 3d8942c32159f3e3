-- One row per prospect: a member without a contract on $as_of that has CRM follow-ups since
-- its last contract ended (or ever, when it never paid), with their count and the last one.
with

settings as (
    select $as_of::date as as_of
),

last_ends as (
    select
        c.member_id,
        max(c.end_date) as last_end
    from contracts as c
    group by c.member_id
),

open_followups as (
    select
        f.member_id,
        count(*) as followups,
        min(f.followed_at)::date as first_followup_on,
        max(f.followed_at)::date as last_followup_on
    from followups as f
    left join last_ends as e on f.member_id = e.member_id
    cross join settings as cfg
    where
        (e.last_end is null or f.followed_at::date > e.last_end)
        and f.followed_at::date <= cfg.as_of
    group by f.member_id
),

final as (
    select
        m.member_id,
        m.company_name,
        m.segment,
        m.sales_rep,
        s.team,
        o.followups,
        o.first_followup_on,
        o.last_followup_on,
        cfg.as_of - o.last_followup_on as days_since_followup
    from members as m
    inner join open_followups as o on m.member_id = o.member_id
    left join sales_staff as s on m.sales_rep = s.staff_name
    cross join settings as cfg
    where not m.is_paid
)

select * from final
order by member_id
