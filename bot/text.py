"""Telegram's message length in plain text: no aiogram here, so services may page a text."""

MESSAGE_LIMIT = 4096


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on paragraph boundaries so that no part exceeds `limit`; nothing is cut.

    A paragraph longer than the limit is split on line breaks, then on spaces; only a
    single word longer than the limit is split inside.
    """
    if len(text) <= limit:
        return [text] if text else []
    for separator in ("\n\n", "\n", " "):
        if separator in text:
            return _pack(text.split(separator), separator, limit)
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        if len(piece) <= limit:
            current = piece
        else:
            *complete, current = split_message(piece, limit)
            parts.extend(complete)
    if current.strip():
        parts.append(current)
    return parts
