"""An account's reasons in its own numbers, beside what is typical (BRIEF §12).

The model names the features that push the account's risk up most (`LinearChurn.reasons`);
this turns each into a sentence a customer-success person can check in the account, with the
typical account's value (the median of the training population) beside it.
"""

from __future__ import annotations

import datetime as dt

from predictions.features import WINDOW, Features, latest_usage, terms_on
from predictions.history import History
from store.format import money


def _pct(x: float) -> str:
    return f"{round(100 * x)} %"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def reason_text(name: str, f: Features, typical: Features, history: History, day: dt.date) -> str:
    now = latest_usage(history.usage, day)
    before = latest_usage(history.usage, day - WINDOW) or (
        history.usage[0] if history.usage else None
    )
    if name == "utilisation" and now is not None:
        return (
            f"{now.active_seats} of {_plural(now.paid_seats, 'seat')} active "
            f"({_pct(f.utilisation)}; typical {_pct(typical.utilisation)})"
        )
    if name == "utilisation_change" and now is not None and before is not None:
        was = before.active_seats / before.paid_seats if before.paid_seats else 0.0
        return f"seat use fell from {_pct(was)} to {_pct(f.utilisation)} in 90 days"
    if name == "seats_removed" and now is not None and before is not None:
        removed = before.paid_seats - now.paid_seats
        return f"{removed} of {_plural(before.paid_seats, 'paid seat')} removed in 90 days"
    if name == "failed_payments":
        return (
            f"{_plural(f.failed_payments, 'declined payment')} in 90 days "
            f"(typical {typical.failed_payments})"
        )
    if name == "days_overdue":
        return f"{_plural(f.days_overdue, 'day')} overdue"
    if name == "tenure_months":
        return (
            f"a customer for {_plural(round(f.tenure_months), 'month')} "
            f"(typical {round(typical.tenure_months)})"
        )
    if name == "annual":  # only a reason when it raises the risk: a yearly contract
        return f"a yearly contract, renewing in {_plural(f.days_to_renewal, 'day')}"
    if name == "days_to_renewal":
        return f"renews in {_plural(f.days_to_renewal, 'day')}"
    if name == "discount_ending":
        return "a discount ends within 90 days"
    if name == "mrr":
        # The account's own cents; the typical value is a median of model inputs, shown to
        # the cent (money is never formatted from a float).
        terms = terms_on(history.terms, day)
        own = terms.mrr_cents if terms is not None else round(f.mrr * 100)
        return f"{money(own)} a month (typical {money(round(typical.mrr * 100))})"
    return name.replace("_", " ")
