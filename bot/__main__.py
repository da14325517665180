"""`python -m bot [run|migrate]`.

A bad setting stops the program with one line naming it (exit code 2), never a traceback.
"""

import argparse
import asyncio
import sys

from bot.config import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="EduCRM bot")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=("run", "migrate"),
        help="run: migrate the database and start the bot (default); migrate: only migrate",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2

    from bot.logging import setup_logging
    from bot.migrate import upgrade_to_head

    setup_logging(settings.runtime.log_level)
    upgrade_to_head(settings.database.database_url)
    if args.command == "migrate":
        return 0

    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.runner import run

    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    except TelegramUnauthorizedError:
        print("Telegram rejected BOT_TOKEN: check the token @BotFather gave you", file=sys.stderr)
        return 1
    except TelegramNetworkError:
        server = settings.telegram.telegram_api_url or "api.telegram.org"
        print(f"Cannot reach the Bot API server at {server}: check the network", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
