-- One row per day, crawler and detection method.
with

final as (
    select
        b.day,
        b.bot_name,
        b.detected_by,
        cast(sum(b.hits) as bigint) as hits,
        cast(coalesce(sum(b.hits) filter (where b.member_id is not null), 0) as bigint) as shop_hits
    from stg_bot_hits as b
    group by b.day, b.bot_name, b.detected_by
)

select * from final
order by day, bot_name, detected_by
