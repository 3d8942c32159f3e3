-- One row per crawler and detection method: its requests over all days in the snapshot.
with bot_hits as (
    select
        b.day,
        b.bot_name,
        b.detected_by,
        b.hits,
        b.shop_hits
    from bot_hits_daily as b
),

final as (
    select
        b.bot_name,
        b.detected_by,
        cast(sum(b.hits) as bigint) as hits,
        cast(sum(b.shop_hits) as bigint) as shop_hits,
        min(b.day) as first_day,
        max(b.day) as last_day
    from bot_hits as b
    group by b.bot_name, b.detected_by
)

select * from final
order by hits desc, bot_name asc
