"""Update middlewares, registered in `bot.startup.app` in the order DESIGN.md gives."""
