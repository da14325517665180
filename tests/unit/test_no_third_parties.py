"""POLICY 12: the application talks to Telegram and nothing else.

The only HTTP client in the application code is aiogram's own session; this test fails
when someone adds another client (an analytics SDK, a webhook to a CRM, a URL fetch).
"""

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
APPLICATION = ("bot", "handlers", "keyboards", "db")
OUTBOUND_CLIENTS = {
    "requests",
    "httpx",
    "urllib.request",
    "http.client",
    "aiohttp.client",
    "smtplib",
    "ftplib",
    "socket",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_outbound_client_outside_aiogram() -> None:
    offenders = {}
    for folder in APPLICATION:
        for path in (PROJECT / folder).rglob("*.py"):
            found = {
                name
                for name in imported_modules(path)
                if name in OUTBOUND_CLIENTS or name.startswith(("aiohttp.ClientSession",))
            }
            if found:
                offenders[str(path.relative_to(PROJECT))] = sorted(found)
    assert offenders == {}
