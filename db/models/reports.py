"""What the report cache asks before it reuses a report: has the data under it changed?"""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class DataVersion(Base):
    """A counter per kind of data the reports read (`db.data_versions.DOMAINS`), raised in
    the same transaction as every change to that data (see db.data_versions)."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
