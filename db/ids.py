"""The range of the ids the database holds: what a forged button or a typed number must fit.

Primary keys are INTEGER (int4 on PostgreSQL, at most 2**31 - 1); an id beyond that does not
name a row, and sent to PostgreSQL as a parameter it raises DBAPIError instead of matching
nothing. Telegram ids are BIGINT.
"""

ID_MAX = 2**31 - 1  # the largest INTEGER (a row's id)
TELEGRAM_ID_MAX = 2**63 - 1  # the largest BIGINT (users.telegram_id)


def is_row_id(value: int) -> bool:
    return 0 < value <= ID_MAX


def parse_row_id(text: str) -> int | None:
    """A row id written in ASCII digits, or None for anything else (out of range included)."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if is_row_id(value) else None


def parse_telegram_id(text: str) -> int | None:
    """A Telegram user id written in ASCII digits, or None (out of BIGINT range included)."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= TELEGRAM_ID_MAX else None
