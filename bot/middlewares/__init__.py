"""Update middlewares, registered in `bot.app` in the order DESIGN.md gives."""
