-- One row per predicted-risk bin of the backtest: contracts, mean predicted risk and the share
-- that churned.
select
    c.scorer,
    c.bin_low,
    c.bin_high,
    c.contracts,
    c.mean_predicted,
    c.observed_churn_rate
from risk_calibration as c
order by c.bin_low
