"""Column types shared by the models."""

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def str_enum(cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """An enum kept as its values in a plain VARCHAR(length), the same on every database.

    Not a native PostgreSQL ENUM type: adding a member then needs no ALTER TYPE, and
    SQLite and PostgreSQL hold the same schema. The values ("pending"), not the member
    names ("PENDING"), are stored, so raw SQL, fixtures and exports read as they mean.
    """
    return sa.Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite stores it naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
