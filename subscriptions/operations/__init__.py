"""One module per subscription operation; importing this package registers them all."""

from subscriptions.operations import (  # noqa: F401
    accept_offer,
    cancel,
    card_link,
    change_plan,
    convert_trial,
    discount,
    dunning,
    extend_trial,
    pause,
    pay_by_link,
    reactivate,
    renew,
    resume,
    retry_payment,
    seats,
    subscribe,
)
