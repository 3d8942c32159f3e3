-- One row: the latest load run in the snapshot, with its freshness at $now_utc (a UTC
-- timestamp) and $today (the portal's local date).
with params as (
    select
        cast($now_utc as timestamp) as now_utc,
        cast($today as date) as today
),

runs as (
    select
        r.run_id,
        r.started_at,
        r.finished_at,
        r.as_of,
        r.status
    from load_runs as r
),

latest as (
    select
        r.run_id,
        r.started_at,
        r.finished_at,
        r.as_of,
        r.status
    from runs as r
    order by r.started_at desc, r.run_id desc
    limit 1
),

sources as (
    select
        s.run_id,
        -- data_to is ISO date text in load_sources.
        max(try_cast(s.data_to as date)) as data_to
    from load_sources as s
    group by s.run_id
),

final as (
    select
        l.run_id,
        l.started_at,
        l.finished_at,
        l.as_of,
        l.status,
        s.data_to,
        date_diff('minute', l.finished_at, p.now_utc) / 60.0 as hours_since_load,
        date_diff('day', s.data_to, p.today) as days_since_data
    from latest as l
    left join sources as s on l.run_id = s.run_id
    cross join params as p
)

select * from final
