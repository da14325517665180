"""Keyboards and CallbackData factories (short prefixes: callback data is at most 64 bytes)."""
