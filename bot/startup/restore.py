"""`python -m bot restore <file>`: put a backup back while no bot process runs."""

import asyncio
import sys
from functools import partial
from pathlib import Path

from bot.config import Settings
from bot.services.backup import BackupError, DatabaseLock, restore_file, table_counts


async def restore(settings: Settings, backup: Path, *, allow_unencrypted: bool = False) -> int:
    """Restore, migrate to the current schema and print the tables; returns an exit code.

    With BACKUP_KEY set, a file not sealed with it is refused unless `allow_unencrypted`."""
    from bot.startup.migrate import upgrade_to_head

    url = settings.database.database_url
    key = settings.backup.backup_key
    lock = DatabaseLock(url)
    if not await lock.acquire(exclusive=True):
        print(
            "Refusing to restore: a bot process is using the database; stop it first",
            file=sys.stderr,
        )
        return 1
    try:
        await asyncio.to_thread(
            partial(restore_file, allow_unencrypted=allow_unencrypted),
            url,
            backup,
            key.get_secret_value() if key else None,
        )
        await asyncio.to_thread(upgrade_to_head, url)
        counts = await table_counts(url)
    except BackupError as error:
        print(f"Restore refused: {error}", file=sys.stderr)
        return 1
    finally:
        await lock.release()
    print(f"Restored {backup.name}: {len(counts)} tables, {sum(counts.values())} rows")
    for name, rows in counts.items():
        print(f"  {name}: {rows}")
    return 0
