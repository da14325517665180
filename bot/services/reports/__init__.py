"""The director's reports: what each one counts (`finance`), for a period (`period`) and a
filter (`scope`), and how its chart and spreadsheet are drawn (`chart`, `workbook`).

Nothing here knows aiogram or gettext: the handlers word the labels and pass them in, as
for the debtors' XLSX. Money is whole so'm (int) throughout.
"""
