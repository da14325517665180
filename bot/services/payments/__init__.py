"""Payments: the ledger (charges, payments, reversals, refunds, running balances), the
admin's payment desk, online payments through Telegram, the debtors spreadsheet."""
