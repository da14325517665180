"""`python -m bot [run|migrate|restore <file> [--allow-unencrypted]|audit verify|payroll verify]`.

A bad setting stops the program with one line naming it (exit code 2), never a traceback.
"""

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

from bot.config import SettingsError, load_settings


def _run_on_fastest_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """uvloop where it exists (not on Windows): its event loop and transports cost the
    webhook server and the calls to Telegram markedly less CPU than asyncio's own."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="EduCRM bot")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=("run", "migrate", "restore", "audit", "payroll"),
        help="run: migrate the database and start the bot (default); migrate: only migrate; "
        "restore: replace the database with a backup file (the bot must be stopped); "
        "audit verify: check the audit log's hash chain (exit code 1 when it is broken); "
        "payroll verify: count every approved payslip again on today's data and list the "
        "differences, changing nothing (exit code 1 when one is not corrected yet)",
    )
    parser.add_argument("file", nargs="?", help="restore: the backup file; audit, payroll: verify")
    parser.add_argument(
        "--allow-unencrypted",
        action="store_true",
        help="restore: accept a file not encrypted with BACKUP_KEY while the key is set",
    )
    args = parser.parse_args(argv)
    if args.command == "restore" and not args.file:
        parser.error("restore needs the backup file: python -m bot restore <file>")
    if args.command == "audit" and args.file != "verify":
        parser.error("audit has one subcommand: python -m bot audit verify")
    if args.command == "payroll" and args.file != "verify":
        parser.error("payroll has one subcommand: python -m bot payroll verify")
    if args.allow_unencrypted and args.command != "restore":
        parser.error("--allow-unencrypted is an option of restore only")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2

    from bot.logging import setup_logging
    from bot.startup.migrate import upgrade_to_head

    setup_logging(settings.runtime.log_level, secrets=settings.secrets())
    if args.command == "restore":
        from pathlib import Path

        from bot.startup.restore import restore

        return asyncio.run(
            restore(settings, Path(args.file), allow_unencrypted=args.allow_unencrypted)
        )
    if args.command == "audit":
        from bot.startup.audit_verify import verify_audit

        return asyncio.run(verify_audit(settings))
    if args.command == "payroll":
        from bot.startup.payroll_verify import verify_payroll

        return asyncio.run(verify_payroll(settings))
    upgrade_to_head(settings.database.database_url)
    if args.command == "migrate":
        return 0

    if not settings.database.is_sqlite:
        from bot.services.backup import BackupError, require_pg_tools

        try:
            require_pg_tools()  # the daily backup needs pg_dump: say so now, not at 03:00
        except BackupError as error:
            print(error, file=sys.stderr)
            return 2

    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.startup.runner import run

    try:
        _run_on_fastest_loop(run(settings))
    except KeyboardInterrupt:
        pass
    except TelegramUnauthorizedError:
        print("Telegram rejected BOT_TOKEN: check the token @BotFather gave you", file=sys.stderr)
        return 1
    except TelegramNetworkError:
        server = settings.telegram.telegram_api_url or "api.telegram.org"
        print(f"Cannot reach the Bot API server at {server}: check the network", file=sys.stderr)
        return 1
    except Exception:
        # through the log, masked: Python's own traceback would print the token an error's
        # text carries (a proxy's page echoing /bot<token>/getMe)
        from loguru import logger

        logger.exception("the bot stopped on an error")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
