"""Notices the bot sends on its own, outside a handler: receipts and payment corrections,
payment and class reminders, ticket alerts to the staff, the backup alert, broadcasts and
their progress report. Telegram-facing: rendered with keyboards and gettext in each
recipient's language, sent through bot.delivery; the rules they follow are services."""
