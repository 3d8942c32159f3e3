-- One row per traffic-source class for member $member_id: page views over its health window.
with health_window as (
    select
        h.member_id,
        h.window_start,
        h.window_end
    from member_health as h
    where h.member_id = $member_id
),

daily as (
    select
        d.member_id,
        d.day,
        d.views_search,
        d.views_internal,
        d.views_social,
        d.views_ad,
        d.views_referral,
        d.views_direct
    from member_daily as d
    where d.member_id = $member_id
),

window_totals as (
    select
        cast(sum(d.views_search) as bigint) as views_search,
        cast(sum(d.views_internal) as bigint) as views_internal,
        cast(sum(d.views_social) as bigint) as views_social,
        cast(sum(d.views_ad) as bigint) as views_ad,
        cast(sum(d.views_referral) as bigint) as views_referral,
        cast(sum(d.views_direct) as bigint) as views_direct
    from daily as d
    inner join health_window as w
        on d.member_id = w.member_id and d.day between w.window_start and w.window_end
),

-- Two unnests in one select zip their lists: one row per source class.
final as (
    select
        unnest(['search', 'internal', 'social', 'ad', 'referral', 'direct']) as source_class,
        unnest([
            wt.views_search,
            wt.views_internal,
            wt.views_social,
            wt.views_ad,
            wt.views_referral,
            wt.views_direct
        ]) as page_views
    from window_totals as wt
    where wt.views_search is not null
)

select * from final
order by page_views desc, source_class asc
