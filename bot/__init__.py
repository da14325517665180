"""EduCRM bot: a learning centre run from Telegram."""
