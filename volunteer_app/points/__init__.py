"""Points and exchange (积分兑换): a time-bank ledger, earning rules, a redemption catalogue."""
