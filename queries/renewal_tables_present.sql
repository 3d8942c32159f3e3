-- One row: how many of the renewal tables this snapshot has (older snapshots have none).
select count(*) as tables_present
from information_schema.tables as t
where
    t.table_schema = 'main'
    and t.table_name in (
        'contract_renewals', 'renewal_risk', 'risk_backtest', 'risk_calibration',
        'renewal_settings'
    )
