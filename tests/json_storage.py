"""FSM storage for tests that keeps data as Redis storage does: as JSON text.

A form whose data does not survive `json.dumps` / `json.loads` (a date, a set, integer
dict keys) fails here as it would in production, not only behind Redis.
"""

import json
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage


class JsonRoundTripStorage(MemoryStorage):
    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        await super().set_data(key, json.loads(json.dumps(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return json.loads(json.dumps(await super().get_data(key)))
