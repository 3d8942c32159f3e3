-- List rows that fit a member but were not merged, with the member they might be and why;
-- and list rows whose credit code failed its check.
select
    r.source_file,
    r.line_no,
    r.list_company_name,
    r.list_credit_code,
    r.list_province,
    r.segment,
    r.member_id,
    r.member_company_name,
    r.member_credit_code,
    r.member_province,
    r.reason
from universe_review as r
union all
select
    u.source_file,
    u.line_no,
    u.company_name as list_company_name,
    null as list_credit_code,
    u.province as list_province,
    u.segment,
    u.member_id,
    null as member_company_name,
    null as member_credit_code,
    null as member_province,
    u.credit_code_problem as reason
from universe_companies as u
where u.credit_code_problem is not null
order by source_file asc, line_no asc, member_id asc
