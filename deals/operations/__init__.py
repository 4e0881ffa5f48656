"""One module per deal operation; importing this package registers them."""

from deals.operations import log_activity, snooze  # noqa: F401
