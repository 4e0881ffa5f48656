"""The declarative base, naming convention and column helpers every table uses."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    Enum,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Primary keys are INTEGER (4 bytes on PostgreSQL): a larger number typed by a person is no
# id of ours, and must not reach the driver (SQLite and PostgreSQL reject it with an error).
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """A typed id ("12", "#12") as a primary key, or None when it cannot be one."""
    digits = text.strip().lstrip("#")
    if not digits.isdigit() or len(digits) > 10:
        return None
    value = int(digits)
    return value if 0 < value <= MAX_ROW_ID else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A VARCHAR + CHECK enum storing the values (not the names), same on both databases."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
