-- One row per source file or query of the latest load run: its row counts and data range
-- (stored as ISO date text, returned as dates).
with latest_run as (
    select r.run_id
    from load_runs as r
    order by r.started_at desc, r.run_id desc
    limit 1
),

sources as (
    select
        s.run_id,
        s.source,
        s.file,
        s.read_rows,
        s.loaded_rows,
        s.bot_rows,
        s.skipped_rows,
        s.rejected_rows,
        s.data_from,
        s.data_to,
        s.loaded_at
    from load_sources as s
),

final as (
    select
        s.source,
        s.file,
        s.read_rows,
        s.loaded_rows,
        s.bot_rows,
        s.skipped_rows,
        s.rejected_rows,
        try_cast(s.data_from as date) as data_from,
        try_cast(s.data_to as date) as data_to,
        s.loaded_at
    from sources as s
    inner join latest_run as r on s.run_id = r.run_id
)

select * from final
order by source, file
