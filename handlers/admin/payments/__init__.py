"""💵 The payment desk (permission `payments`): /pay records a payment (desk), a student's
payments list (listing), reversing a payment (reversal) and refunding a credit (refund).

The three forms run on the form engine (bot/forms): nothing is written before ✅, and each
`save` is one ledger call (the row, the running balance and the audit entry in one
transaction); receipts and correction notices go out after the commit (bot/notices/receipts.py).
"""

from aiogram import Router

from handlers.admin.payments import desk, listing, refund, reversal


def create_router() -> Router:
    router = Router(name="admin.payments")
    router.include_routers(
        desk.create_router(),
        listing.create_router(),
        reversal.create_router(),
        refund.create_router(),
    )
    return router
