-- One row per health setting the published scores used: key and value, thresholds first,
-- then the weights in metric order.
with settings as (
    select
        s.key,
        s.value
    from health_settings as s
),

final as (
    select
        s.key,
        s.value
    from settings as s
)

select * from final
order by
    case key
        when 'window_days' then 1
        when 'onboarding_days' then 2
        when 'healthy_min' then 3
        when 'watch_min' then 4
        when 'fall_share' then 5
        when 'weight.page_views' then 6
        when 'weight.unique_visitors' then 7
        when 'weight.inquiries' then 8
        when 'weight.messages' then 9
        when 'weight.contact_views' then 10
        when 'weight.ad_clicks' then 11
        else 12
    end,
    key
