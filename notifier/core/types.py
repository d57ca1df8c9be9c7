"""Column types shared by the models."""

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An instant, always stored and returned as an aware UTC datetime.

    SQLite has no time zone type and hands back naive values; PostgreSQL returns aware ones. Normalising here
    means no caller ever compares a naive time with an aware one."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store instants as aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(table: str, column: str, states: Iterable[StrEnum]) -> CheckConstraint:
    """CHECK (column IN (...)) built from a state enum, named ck_<table>_<column> so that a migration can drop it.
    The models' __table_args__ and the migrations both call this, so create_all and `db upgrade` agree. A NULL
    passes (SQL: NULL IN (...) is not false): nullability is the column's own business."""
    values = ", ".join(f"'{state.value}'" for state in states)
    # The column quoted: "trigger" is a keyword of SQLite.
    return CheckConstraint(f'"{column}" IN ({values})', name=f"ck_{table}_{column}")
