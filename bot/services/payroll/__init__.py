"""Teacher pay: pay schemes (`schemes`), payslips from draft to approval, adjustments and
payouts (`payslips`), the pure computation they rest on (`compute`), the facts it reads
(`facts`) and the check of every approved payslip against today's data (`verify`)."""
