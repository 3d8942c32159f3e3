-- One row per renewal setting the published outcomes and risks used: key and value as text.
select
    s.key,
    s.value
from renewal_settings as s
order by s.key
