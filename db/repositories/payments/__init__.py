"""Payment queries: the ledger and the running balances (ledger); nothing here commits."""
