"""Queries for the health check (read only)."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Delivery, DeliveryStatus

# Not yet sent and not given up on: waiting, in flight, or waiting to be tried again.
NOT_YET_SENT = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)


async def pending_deliveries(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Delivery).where(Delivery.status.in_(NOT_YET_SENT))
    return int(await session.scalar(query) or 0)
