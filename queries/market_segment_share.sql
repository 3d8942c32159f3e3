-- One row per industry segment from segment_share, most under-covered (lowest penetration)
-- first.
select
    s.segment,
    s.known_companies,
    s.listed_companies,
    s.registered,
    s.paying,
    s.penetration,
    s.registered_share,
    s.revenue_cny,
    s.revenue_share,
    s.known_year_before,
    s.paying_year_before,
    s.penetration_year_before,
    s.penetration_change,
    s.revenue_year_before_cny,
    s.revenue_change,
    s.big_companies,
    s.big_not_paying,
    s.big_never_registered,
    s.top5_revenue_share,
    s.revenue_hhi
from segment_share as s
order by s.penetration asc, s.segment asc
