-- The last day the latest load's numbers cover.
select r.as_of
from load_runs as r
order by r.started_at desc, r.run_id desc
limit 1
