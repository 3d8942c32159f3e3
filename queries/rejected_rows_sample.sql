-- One row per rejected input row of the latest load run: the first $max_rows by source, file
-- and line.
with params as (
    select cast($max_rows as bigint) as max_rows
),

latest_run as (
    select r.run_id
    from load_runs as r
    order by r.started_at desc, r.run_id desc
    limit 1
),

rejected as (
    select
        j.run_id,
        j.source,
        j.file,
        j.line_no,
        j.column_name,
        j.value,
        j.reason,
        j.raw
    from rejected_rows as j
),

ranked as (
    select
        j.source,
        j.file,
        j.line_no,
        j.column_name,
        j.value,
        j.reason,
        j.raw,
        row_number() over (order by j.source, j.file, j.line_no) as row_rank
    from rejected as j
    inner join latest_run as r on j.run_id = r.run_id
),

final as (
    select
        k.source,
        k.file,
        k.line_no,
        k.column_name,
        k.value,
        k.reason,
        k.raw
    from ranked as k
    cross join params as p
    where k.row_rank <= p.max_rows
)

select * from final
order by source, file, line_no
