-- One row per scorer of the time-ordered backtest: the model (when trained), the health-score
-- rule and a constant baseline, with ROC AUC and Brier score on the same test contracts.
select
    b.scorer,
    b.method,
    b.train_contracts,
    b.test_contracts,
    b.test_first_decided_on,
    b.test_churn_rate,
    b.roc_auc,
    b.brier
from risk_backtest as b
order by
    case b.scorer
        when 'model' then 1
        when 'health_rule' then 2
        else 3
    end
