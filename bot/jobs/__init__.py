"""Scheduler jobs: plain async functions taking a session factory, the bot, the settings
and a clock (`now`), so tests call them at chosen times."""
