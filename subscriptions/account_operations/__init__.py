"""One module per account operation; importing this package registers them all."""

from subscriptions.account_operations import (  # noqa: F401
    open_account,
    start_subscription,
    start_trial,
)
