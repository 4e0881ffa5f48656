"""Who is asking and with what: the speaker, their role and the services skills use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import Clock
from store.actors import Actor
from store.db import Database
from store.models import Contact, Employee, Role, Staff
from store.writepath import WritePath


@dataclass(frozen=True)
class Speaker:
    """A person as the policy sees them. Unknown people are guests."""

    user_id: str
    name: str
    role: Role
    account_ids: frozenset[int] = frozenset()

    def actor(self, source: str) -> Actor:
        return Actor(self.user_id, str(self.role), source)

    @property
    def known_name(self) -> str:
        """Their name as the store knows them (staff, account contact); "" for a guest."""
        return "" if self.role is Role.GUEST else self.name


def identify(session: Session, user_id: str) -> Speaker:
    """Role from the staff table, else customer from the account contacts, else employee
    from the company directory (BRIEF §11), else guest."""
    staff = session.scalar(select(Staff).where(Staff.slack_user_id == user_id))
    if staff is not None:
        return Speaker(user_id, staff.name, staff.role)
    contacts = session.scalars(select(Contact).where(Contact.slack_user_id == user_id)).all()
    if contacts:
        return Speaker(
            user_id, contacts[0].name, Role.CUSTOMER, frozenset(c.account_id for c in contacts)
        )
    employee = session.scalar(select(Employee).where(Employee.slack_user_id == user_id))
    if employee is not None and employee.left_on is None:
        return Speaker(user_id, employee.name, Role.EMPLOYEE)
    return Speaker(user_id, user_id, Role.GUEST)


@dataclass
class SkillContext:
    """Everything a skill needs; built by the core for each request."""

    db: Database
    clock: Clock
    writes: WritePath
    speaker: Speaker
    conversation_id: str
    source: str
    knowledge: Callable[[], Any] | None = None  # lazily builds a Retriever
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return self.speaker.actor(self.source)
