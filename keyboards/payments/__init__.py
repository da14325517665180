"""Payment keyboards: the desk and the debtors list (desk), the Pay button (pay), the
balance check's fix button (balances)."""
