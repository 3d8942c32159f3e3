-- One row per source, outcome (skipped or rejected) and reason of the latest load run,
-- with the rows summed over the source's files.
with latest_run as (
    select r.run_id
    from load_runs as r
    order by r.started_at desc, r.run_id desc
    limit 1
),

outcomes as (
    select
        o.run_id,
        o.source,
        o.outcome,
        o.reason,
        o.rows
    from load_outcomes as o
),

final as (
    select
        o.source,
        o.outcome,
        o.reason,
        cast(sum(o.rows) as bigint) as row_count
    from outcomes as o
    inner join latest_run as r on o.run_id = r.run_id
    group by o.source, o.outcome, o.reason
)

select * from final
order by outcome asc, row_count desc, source asc, reason asc
