-- One row per paid contract with a recorded payment: days from payment to the shop being
-- opened and to its materials being uploaded, against a deadline of $deadline_days days.
with

settings as (
    select
        $as_of::date as as_of,
        $deadline_days::integer as deadline_days
),

timed as (
    select
        o.contract_id,
        o.member_id,
        o.paid_on,
        o.shop_opened_on,
        o.materials_uploaded_on,
        o.shop_opened_on - o.paid_on as days_to_open,
        o.materials_uploaded_on - o.paid_on as days_to_materials,
        o.paid_on + cfg.deadline_days as deadline_on,
        cfg.as_of
    from stg_shop_openings as o
    cross join settings as cfg
),

final as (
    select
        t.contract_id,
        t.member_id,
        m.company_name,
        m.sales_rep,
        m.after_sales_owner,
        t.paid_on,
        t.shop_opened_on,
        t.materials_uploaded_on,
        t.days_to_open,
        t.days_to_materials,
        t.deadline_on,
        case
            when t.materials_uploaded_on is not null and t.shop_opened_on is not null
                then
                    case
                        when greatest(t.shop_opened_on, t.materials_uploaded_on) <= t.deadline_on
                            then 'on_time'
                        else 'late'
                    end
            when t.as_of > t.deadline_on then 'overdue'
            else 'in_progress'
        end as status
    from timed as t
    inner join members as m on t.member_id = m.member_id
)

select * from final
order by contract_id
