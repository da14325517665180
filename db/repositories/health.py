"""Queries for the health check (read only)."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Delivery, DeliveryStatus


async def pending_deliveries(session: AsyncSession) -> int:
    query = (
        select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
    )
    return int(await session.scalar(query) or 0)
