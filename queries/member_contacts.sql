-- Contact details of member $member_id; masked unless the viewer owns the member
-- (the member_contacts name resolves to the masking view of queries/contacts.py).
with final as (
    select
        c.contact_phone,
        c.contact_mobile,
        c.contact_email,
        c.contact_wechat
    from member_contacts as c
    where c.member_id = $member_id
)

select * from final
