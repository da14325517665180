"""initData as Telegram signs it (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the fields sorted as `key=value` lines, HMAC-SHA256 with the key HMAC("WebAppData", token)."""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from tests.chat import Person
from tests.mocked_bot import BOT_TOKEN


def sign_init_data(
    person: Person,
    *,
    token: str = BOT_TOKEN,
    auth_date: float | None = None,
    extra: dict[str, str] | None = None,
) -> str:
    user = {"id": person.id, "first_name": person.first_name}
    if person.last_name:
        user["last_name"] = person.last_name
    if person.username:
        user["username"] = person.username
    if person.language_code:
        user["language_code"] = person.language_code
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
        **(extra or {}),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
