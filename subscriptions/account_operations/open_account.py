"""A new customer account: its name, web domain and Slack contact (BRIEF §13)."""

from __future__ import annotations

from sqlalchemy import func, select

from store.errors import InvalidRequest, InvalidState
from store.models import Account, Contact, Role, Staff
from subscriptions.account_executor import AccountContext, operation
from subscriptions.commands import OpenAccount


@operation(OpenAccount)
def open_account(ctx: AccountContext, cmd: OpenAccount) -> str:
    session = ctx.session
    if ctx.account is not None:
        raise InvalidRequest(f"{ctx.account.name} is already an account.")
    same = session.scalar(
        select(Account).where(func.lower(Account.name) == cmd.name.casefold()).limit(1)
    )
    if same is not None:
        raise InvalidState(f"There is already an account called {same.name} (#{same.id}).")
    if cmd.web_domain:
        taken = session.scalar(select(Account).where(Account.domain == cmd.web_domain).limit(1))
        if taken is not None:
            raise InvalidState(f"{cmd.web_domain} is already the domain of {taken.name}.")
    if cmd.contact:
        if session.scalar(select(Staff.id).where(Staff.slack_user_id == cmd.contact)):
            raise InvalidRequest(f"{cmd.contact} is on the staff, not a customer's contact.")
        if session.scalar(select(Contact.id).where(Contact.slack_user_id == cmd.contact)):
            raise InvalidState(f"{cmd.contact} is already another account's contact.")
    # A rep who opens an account looks after it ("my accounts"); anyone else leaves it open.
    owner = session.scalar(
        select(Staff).where(Staff.slack_user_id == ctx.actor.user_id, Staff.role == Role.SALES)
    )
    account = Account(name=cmd.name, domain=cmd.web_domain, owner=owner, created_on=ctx.today)
    if cmd.contact:
        account.contacts.append(Contact(slack_user_id=cmd.contact, name=cmd.contact))
    session.add(account)
    ctx.account = account
    parts = [f"Open the account {cmd.name}"]
    if cmd.web_domain:
        parts.append(f"domain {cmd.web_domain}")
    if cmd.contact:
        parts.append(f"contact <@{cmd.contact}>")
    if owner is not None:
        parts.append(f"looked after by {owner.name}")
    return ", ".join(parts) + "; no subscription yet."
