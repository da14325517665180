"""GET /health for monitoring (POLICY 17), served on 127.0.0.1:HEALTH_PORT.

JSON: database reachable, the scheduler running with each job's next run time, seconds
since the last processed update (null before the first), the pending deliveries and when
the last incident notice went out (null if none).
200 when the database answers and the scheduler runs, 503 otherwise.
"""

import asyncio
import time
from collections.abc import Callable

from aiohttp import web
from apscheduler.schedulers.base import STATE_PAUSED, BaseScheduler
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import logging as update_logging
from db.repositories import broadcasts as broadcasts_repo
from db.repositories import health as health_repo

DATABASE_TIMEOUT = 5.0  # seconds


def _last_update() -> float | None:
    return update_logging.last_update_at


def create_health_app(
    session_factory: async_sessionmaker[AsyncSession],
    scheduler: BaseScheduler,
    *,
    last_update: Callable[[], float | None] = _last_update,
    clock: Callable[[], float] = time.monotonic,
) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        pending: int | None = None
        incident: str | None = None
        try:
            async with session_factory() as session:
                pending = await asyncio.wait_for(
                    health_repo.pending_deliveries(session), DATABASE_TIMEOUT
                )
                last_incident = await asyncio.wait_for(
                    broadcasts_repo.last_incident_at(session), DATABASE_TIMEOUT
                )
                incident = last_incident.isoformat() if last_incident else None
            database = True
        except Exception as error:  # any failure means "not reachable"
            logger.warning("health check: database unreachable ({})", type(error).__name__)
            database = False
        running = scheduler.running
        jobs = {}
        for job in scheduler.get_jobs():
            next_run = getattr(job, "next_run_time", None)  # absent before the scheduler starts
            jobs[job.id] = next_run.isoformat() if next_run else None
        updated = last_update()
        body = {
            "database": database,
            # Paused on every process but the scheduler leader (bot/startup/leader.py).
            "scheduler": {
                "running": running,
                "paused": scheduler.state == STATE_PAUSED,
                "jobs": jobs,
            },
            "last_update_age_seconds": None if updated is None else round(clock() - updated, 1),
            "pending_deliveries": pending,
            "last_incident_at": incident,
        }
        return web.json_response(body, status=200 if database and running else 503)

    app = web.Application()
    app.router.add_get("/health", health)
    return app


async def start_health_server(
    session_factory: async_sessionmaker[AsyncSession], scheduler: BaseScheduler, port: int
) -> web.AppRunner:
    """Serve /health on 127.0.0.1:`port`; the caller cleans the runner up."""
    runner = web.AppRunner(create_health_app(session_factory, scheduler), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    logger.info("health check on http://127.0.0.1:{}/health", port)
    return runner
