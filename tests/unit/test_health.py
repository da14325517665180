"""GET /health: 200 when the database answers and the scheduler runs, 503 otherwise."""

import socket
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import create_async_engine

from bot.middlewares import logging as update_logging
from bot.startup.health import create_health_app, start_health_server
from db.engine import create_session_factory
from db.models import Broadcast, Delivery, DeliveryStatus
from tests.factories import make_user

NEXT_RUN = datetime(2030, 1, 1, 3, 0, tzinfo=UTC)


def scheduler_with_a_job() -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(print, "date", run_date=NEXT_RUN, id="daily_backup")
    return scheduler


async def get(app) -> tuple[int, dict]:
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/health")
        return response.status, await response.json()


async def test_healthy_reports_jobs_pending_deliveries_and_update_age(session, session_factory):
    user = await make_user(session)
    broadcast = Broadcast(source_chat_id=1, source_message_id=1)
    session.add(broadcast)
    await session.flush()
    session.add_all(
        [
            Delivery(broadcast_id=broadcast.id, user_id=user.id),
            Delivery(broadcast_id=broadcast.id, user_id=(await make_user(session)).id),
            Delivery(
                broadcast_id=broadcast.id,
                user_id=(await make_user(session)).id,
                status=DeliveryStatus.RETRYING,
            ),
            Delivery(
                broadcast_id=broadcast.id,
                user_id=(await make_user(session)).id,
                status=DeliveryStatus.SENT,
            ),
            Delivery(
                broadcast_id=broadcast.id,
                user_id=(await make_user(session)).id,
                status=DeliveryStatus.BLOCKED,
            ),
        ]
    )
    await session.commit()
    scheduler = scheduler_with_a_job()
    scheduler.start()
    try:
        app = create_health_app(
            session_factory, scheduler, last_update=lambda: 100.0, clock=lambda: 142.25
        )
        status, body = await get(app)
    finally:
        scheduler.shutdown(wait=False)
    assert status == 200
    assert body == {
        "database": True,
        "scheduler": {
            "running": True,
            "paused": False,
            "jobs": {"daily_backup": NEXT_RUN.isoformat()},
        },
        "last_update_age_seconds": 42.2,
        "pending_deliveries": 3,
        "last_incident_at": None,
    }


async def test_the_last_incident_notice_is_reported(session, session_factory):
    sent = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    session.add_all(
        [
            Broadcast(source_chat_id=1, source_message_id=1, started_at=sent - timedelta(days=1)),
            Broadcast(source_chat_id=1, source_message_id=2, incident=True, started_at=sent),
            Broadcast(source_chat_id=1, source_message_id=3, incident=True, status="scheduled"),
        ]
    )
    await session.commit()
    scheduler = scheduler_with_a_job()
    scheduler.start()
    try:
        status, body = await get(create_health_app(session_factory, scheduler))
    finally:
        scheduler.shutdown(wait=False)
    assert status == 200 and body["last_incident_at"] == sent.isoformat()


async def test_a_stopped_scheduler_is_unhealthy(session_factory):
    status, body = await get(
        create_health_app(session_factory, scheduler_with_a_job(), last_update=lambda: None)
    )
    assert status == 503
    assert body["database"] is True and body["scheduler"]["running"] is False
    assert body["last_update_age_seconds"] is None


async def test_an_unreachable_database_is_unhealthy():
    # Nothing listens on port 1: the connection is refused at once (an unopenable SQLite file
    # would leave aiosqlite's worker thread finishing after the test's event loop closed).
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    scheduler = scheduler_with_a_job()
    scheduler.start()
    try:
        status, body = await get(create_health_app(create_session_factory(engine), scheduler))
    finally:
        scheduler.shutdown(wait=False)
        await engine.dispose()
    assert status == 503
    assert body["database"] is False and body["pending_deliveries"] is None


async def test_a_handled_update_is_recorded_and_served_on_a_real_port(
    client, alice, session_factory
):
    await client.send(alice, "/start")
    assert update_logging.last_update_at is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scheduler = scheduler_with_a_job()
    scheduler.start()
    runner = await start_health_server(session_factory, scheduler, port)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                assert response.status == 200
                body = await response.json()
    finally:
        await runner.cleanup()
        scheduler.shutdown(wait=False)
    assert 0 <= body["last_update_age_seconds"] < timedelta(minutes=1).total_seconds()
