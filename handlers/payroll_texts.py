"""How a payslip reads, for the staff's card and for the teacher's own /salary: each line
says what was counted and why."""

from datetime import date
from html import escape

from babel.dates import format_date as babel_date

from bot.formatting import babel_locale, format_datetime, format_money
from bot.i18n import _
from bot.services.payroll.compute import Line
from bot.services.payroll.payslips import PayslipView, Running
from db.models import PayLineKind, PayslipLine, PayslipStatus
from keyboards.labels import method_label


def month_name(month: date) -> str:
    return babel_date(month, "LLLL y", locale=babel_locale())


def status_word(status: str) -> str:
    return _("✅ approved") if status == PayslipStatus.APPROVED else _("📝 draft")


def _where(group: str | None) -> str:
    return _(" in {group}").format(group=escape(group)) if group else ""


def line_text(line: Line | PayslipLine, group: str | None) -> str:
    """`• 12 lessons held in A1 × 50 000 soʻm = 600 000 soʻm`"""
    amount, rate, quantity = format_money(line.amount), line.rate, line.quantity
    where = _where(group)
    match line.kind:
        case PayLineKind.FIXED:
            text = _("Fixed monthly {rate}{where}: {days} days in force = {amount}").format(
                rate=format_money(rate), where=where, days=quantity, amount=amount
            )
        case PayLineKind.LESSONS:
            text = _("Lessons held{where}: {count} × {rate} = {amount}").format(
                where=where, count=quantity, rate=format_money(rate), amount=amount
            )
        case PayLineKind.STUDENTS:
            text = _("Students present{where}: {count} × {rate} = {amount}").format(
                where=where, count=quantity, rate=format_money(rate), amount=amount
            )
        case PayLineKind.PERCENT:
            text = _("Money collected{where}: {collected} × {percent}% = {amount}").format(
                percent=rate, collected=format_money(quantity), where=where, amount=amount
            )
        case PayLineKind.CORRECTION:
            month = month_name(line.for_month) if line.for_month else "—"
            text = _(
                "Correction for {month}{where} (counted again on today's data): {amount}"
            ).format(month=month, where=where, amount=amount)
        case PayLineKind.BONUS:
            text = _("Bonus: {amount} — {reason}").format(
                amount=amount, reason=escape(getattr(line, "reason", "") or "")
            )
        case _:
            text = _("Deduction: {amount} — {reason}").format(
                amount=amount, reason=escape(getattr(line, "reason", "") or "")
            )
    return f"• {text}"


def lines_block(lines, names: dict[int, str]) -> list[str]:
    if not lines:
        return [_("Nothing counted yet.")]
    return [line_text(line, names.get(line.group_id) if line.group_id else None) for line in lines]


def payslip_text(view: PayslipView, tz, *, for_teacher: bool = False) -> str:
    payslip = view.payslip
    head = _("💼 <b>Pay for {month}</b>").format(month=month_name(payslip.month))
    if not for_teacher:
        head += " · " + escape(view.teacher_name or "—")
    parts = [head, status_word(payslip.status), ""]
    parts += lines_block(view.lines, view.group_names)
    parts += ["", _("<b>Total: {total}</b>").format(total=format_money(payslip.total))]
    if payslip.status == PayslipStatus.APPROVED:
        parts.append(
            _("Paid out: {paid} · still owed: {owed}").format(
                paid=format_money(view.paid), owed=format_money(view.owed)
            )
        )
        for payout in view.payouts:
            line = _("{when}: {amount}, {method}").format(
                when=format_datetime(payout.paid_at, tz),
                amount=format_money(payout.amount),
                method=method_label(payout.method),
            )
            if payout.reversed_at is not None:
                line = _("<s>{line}</s> (reversed: {reason})").format(
                    line=line, reason=escape(payout.reversal_reason or "")
                )
            parts.append("💸 " + line)
    elif not for_teacher:
        parts += ["", _("A draft: count it again after late marks; approve to lock it.")]
    return "\n".join(parts)


def running_text(running: Running, today: date) -> list[str]:
    return [
        _("📈 <b>{month} so far</b> (to {day}): {total}").format(
            month=month_name(running.month),
            day=babel_date(today, "d MMMM", locale=babel_locale()),
            total=format_money(running.total),
        ),
        *lines_block(running.lines, running.group_names),
    ]


def payslip_label(month: date, status: str, total: int, name: str | None = None) -> str:
    mark = "✅" if status == PayslipStatus.APPROVED else "📝"
    who = f"{name} · " if name else ""
    return f"{mark} {who}{month_name(month)}: {format_money(total)}"
