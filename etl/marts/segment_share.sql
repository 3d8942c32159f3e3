-- One row per industry segment: companies known, registered and paying, penetration and
-- revenue on $as_of and on $year_before, big companies that do not pay, revenue concentration.
-- Revenue is the amount of the contracts that start in the year up to the day.
with

settings as (
    select
        $year_before::date as year_before,
        $big_capital::double as big_capital,
        $big_staff::bigint as big_staff
),

revenue as (
    select
        c.member_id,
        sum(
            case
                when c.start_date > $year_before and c.start_date <= $as_of
                    then c.amount_cny
                else 0
            end
        ) as revenue_cny,
        sum(
            case
                when c.start_date > $two_years_before and c.start_date <= $year_before
                    then c.amount_cny
                else 0
            end
        ) as prev_revenue_cny
    from contracts as c
    group by c.member_id
),

paid_year_before as (
    select distinct c.member_id
    from contracts as c
    where c.start_date <= $year_before and c.end_date >= $year_before
),

companies as (
    select
        u.company_key,
        u.segment,
        u.in_list,
        u.is_registered,
        coalesce(m.is_paid, false) as is_paid,
        u.in_list or m.registered_on <= cfg.year_before as known_year_before,
        coalesce(m.registered_on <= cfg.year_before, false) as registered_year_before,
        p.member_id is not null as paid_year_before,
        coalesce(u.registered_capital_cny >= cfg.big_capital, false)
        or coalesce(u.staff_count >= cfg.big_staff, false) as is_big,
        coalesce(r.revenue_cny, 0) as revenue_cny,
        coalesce(r.prev_revenue_cny, 0) as prev_revenue_cny
    from universe_companies as u
    left join members as m on u.member_id = m.member_id
    left join revenue as r on u.member_id = r.member_id
    left join paid_year_before as p on u.member_id = p.member_id
    cross join settings as cfg
),

ranked as (
    select
        c.*,
        row_number() over (
            partition by c.segment order by c.revenue_cny desc, c.company_key asc
        ) as revenue_rank,
        sum(c.revenue_cny) over (partition by c.segment) as segment_revenue
    from companies as c
),

segments as (
    select
        r.segment,
        count(*) as known_companies,
        count(*) filter (where r.in_list) as listed_companies,
        count(*) filter (where r.is_registered) as registered,
        count(*) filter (where r.is_paid) as paying,
        sum(r.revenue_cny) as revenue_cny,
        count(*) filter (where r.known_year_before) as known_year_before,
        count(*) filter (where r.registered_year_before) as registered_year_before,
        count(*) filter (where r.paid_year_before) as paying_year_before,
        sum(r.prev_revenue_cny) as revenue_year_before_cny,
        count(*) filter (where r.is_big) as big_companies,
        count(*) filter (where r.is_big and not r.is_paid) as big_not_paying,
        count(*) filter (where r.is_big and not r.is_registered) as big_never_registered,
        sum(r.revenue_cny) filter (where r.revenue_rank <= 5) as top5_revenue_cny,
        sum(
            case
                when r.segment_revenue > 0
                    then power(r.revenue_cny / r.segment_revenue, 2)
            end
        ) * 10000 as revenue_hhi
    from ranked as r
    group by r.segment
),

final as (
    select
        s.segment,
        s.known_companies,
        s.listed_companies,
        s.registered,
        s.paying,
        s.paying / s.known_companies as penetration,
        s.registered / s.known_companies as registered_share,
        s.revenue_cny,
        s.revenue_cny / nullif(sum(s.revenue_cny) over (), 0) as revenue_share,
        s.known_year_before,
        s.registered_year_before,
        s.paying_year_before,
        s.paying_year_before / nullif(s.known_year_before, 0) as penetration_year_before,
        s.paying / s.known_companies
        - s.paying_year_before / nullif(s.known_year_before, 0) as penetration_change,
        s.revenue_year_before_cny,
        (s.revenue_cny - s.revenue_year_before_cny)
        / nullif(s.revenue_year_before_cny, 0) as revenue_change,
        s.big_companies,
        s.big_not_paying,
        s.big_never_registered,
        s.top5_revenue_cny / nullif(s.revenue_cny, 0) as top5_revenue_share,
        s.revenue_hhi
    from segments as s
)

select * from final
order by segment
