-- One row per contract: the renewal-risk features as of its cutoff day, the earlier of
-- end_date - $lead_days and $as_of. Only events before the cutoff day and renewals that
-- started before it are counted, so nothing from the cutoff day on enters a feature.
-- Event windows: the 90 days before the cutoff ("recent"), the 90 days before those, and the
-- contract's own days before the cutoff ("contract", at most 365 of them).
-- After-sales contacts: the member's contact actions (renewal_contacts, a temporary table the
-- mart builder fills from the app database) dated in the $contact_window_days days before the
-- cutoff day.
-- NOTE: a contact is placed by the date staff give it (action_on), not by when they recorded
-- it, so one entered after the cutoff but dated before it still counts.
with

params as (
    select
        cast($as_of as date) as as_of,
        cast($lead_days as integer) as lead_days,
        cast($contact_window_days as integer) as contact_window_days
),

contract as (
    select
        r.contract_id,
        r.member_id,
        r.segment,
        r.tier,
        r.start_date,
        r.end_date,
        r.amount_cny,
        r.outcome,
        r.decided_on,
        r.renewal_kind,
        least(r.end_date - params.lead_days, params.as_of) as cutoff,
        least(r.end_date - params.lead_days, params.as_of)
        - params.contact_window_days as contacts_from,
        greatest(
            r.start_date, least(r.end_date - params.lead_days, params.as_of) - 365
        ) as contract_from
    from contract_renewals as r
    cross join params
),

event as (
    select
        e.member_id,
        e.kind,
        cast(e.occurred_at as date) as occurred_on
    from stg_events as e
),

event_counts as (
    select
        contract.contract_id,
        count(*) filter (
            where event.kind = 'inquiries' and event.occurred_on >= contract.cutoff - 90
        ) as inquiries_recent,
        count(*) filter (
            where
            event.kind = 'inquiries'
            and event.occurred_on >= contract.cutoff - 180
            and event.occurred_on < contract.cutoff - 90
        ) as inquiries_before,
        count(*) filter (
            where event.kind = 'messages' and event.occurred_on >= contract.cutoff - 90
        ) as messages_recent,
        count(*) filter (
            where event.kind = 'contact_views' and event.occurred_on >= contract.cutoff - 90
        ) as contact_views_recent,
        count(*) filter (
            where event.kind = 'ad_clicks' and event.occurred_on >= contract.cutoff - 90
        ) as ad_clicks_recent,
        count(*) filter (
            where event.kind = 'inquiries' and event.occurred_on >= contract.contract_from
        ) as inquiries_contract
    from contract
    inner join event
        on
            contract.member_id = event.member_id
            and least(contract.cutoff - 180, contract.contract_from) <= event.occurred_on
            and contract.cutoff > event.occurred_on
    group by contract.contract_id
),

contact_counts as (
    select
        contract.contract_id,
        count(*) as after_sales_contacts
    from contract
    inner join renewal_contacts as contact
        on
            contract.member_id = contact.member_id
            and contract.contacts_from <= contact.action_on
            and contract.cutoff > contact.action_on
    group by contract.contract_id
),

history as (
    select
        contract.contract_id,
        min(earlier.start_date) as first_start_date,
        -- The contract's own renewal is its label, even when it started before the cutoff.
        count(*) filter (
            where
            earlier.outcome = 'renewed'
            and earlier.decided_on < contract.cutoff
            and earlier.contract_id <> contract.contract_id
        ) as prior_renewals
    from contract
    inner join contract as earlier
        on
            contract.member_id = earlier.member_id
            and contract.cutoff > earlier.start_date
    group by contract.contract_id
),

final as (
    select
        contract.contract_id,
        contract.member_id,
        contract.segment,
        contract.tier,
        contract.end_date,
        contract.amount_cny,
        contract.outcome,
        contract.decided_on,
        contract.renewal_kind,
        contract.cutoff,
        coalesce(event_counts.inquiries_recent, 0) as inquiries_recent,
        coalesce(event_counts.inquiries_before, 0) as inquiries_before,
        coalesce(event_counts.messages_recent, 0) as messages_recent,
        coalesce(event_counts.contact_views_recent, 0) as contact_views_recent,
        coalesce(event_counts.ad_clicks_recent, 0) as ad_clicks_recent,
        coalesce(event_counts.inquiries_contract, 0) as inquiries_contract,
        coalesce(contact_counts.after_sales_contacts, 0) as after_sales_contacts,
        greatest(contract.cutoff - contract.contract_from, 0) as contract_days,
        coalesce(history.prior_renewals, 0) as prior_renewals,
        coalesce(contract.cutoff - history.first_start_date, 0) as tenure_days
    from contract
    left join event_counts on contract.contract_id = event_counts.contract_id
    left join contact_counts on contract.contract_id = contact_counts.contract_id
    left join history on contract.contract_id = history.contract_id
)

select * from final
order by contract_id
