"""Multi-step forms: one engine (`bot.forms.engine`) on aiogram's scenes."""

from bot.forms.engine import (
    Advance,
    Form,
    FormContext,
    FormData,
    OutOfDate,
    Refusal,
    Retry,
    Step,
)

__all__ = [
    "Advance",
    "Form",
    "FormContext",
    "FormData",
    "OutOfDate",
    "Refusal",
    "Retry",
    "Step",
]
