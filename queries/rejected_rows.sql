-- Every rejected input row of the latest load run, by source, file and line: the whole set
-- that the data-status page shows the first rows of (rejected_rows_sample) and exports.
with latest_run as (
    select r.run_id
    from load_runs as r
    order by r.started_at desc, r.run_id desc
    limit 1
),

final as (
    select
        j.source,
        j.file,
        j.line_no,
        j.column_name,
        j.value,
        j.reason,
        j.raw
    from rejected_rows as j
    inner join latest_run as r on j.run_id = r.run_id
)

select * from final
order by source, file, line_no
