"""Scheduled alerts (BRIEF §6): who must hear about what today, under a stable key.

The package's public face, for `bot/` (jobs, notifier) and the tests:

- `rule.py`: the `Rule` protocol and the registry (`register`, `registered`, `evaluate`);
- `rules/`: one module per rule, each registering itself;
- `notice.py`: `Notice`, `Channels`, keys and outbox payloads;
- `buttons.py`: the button action ids the Slack layer routes;
- `hours.py`: business hours in each recipient's time zone;
- `queue.py`: the one way alerts reach the outbox;
- `digest.py`: one recipient's due alerts as one message.

Domain packages never import this one; `alerts` reads them (their `queries` modules and
`reports`), and `bot/jobs.py` decides when rules run.
"""

from alerts.buttons import ACTION_LOG, ACTION_OPEN, ACTION_SNOOZE, ACTIONS, SNOOZE_DAYS
from alerts.digest import DIGEST_CAP, digest, digest_audience
from alerts.hours import BusinessHours, recipient_zones
from alerts.notice import (
    AUDIENCES,
    Attachment,
    Audience,
    Channels,
    Notice,
    alert_from_payload,
    alert_payload,
    attachment_key,
    attachment_payload,
    delivery_key,
    is_channel,
    subject_of,
)
from alerts.queue import entries, queue, queue_due
from alerts.rule import (
    CATCH_UP_DAYS,
    RUNS,
    Rule,
    Run,
    Words,
    evaluate,
    notices,
    register,
    registered,
)

__all__ = [
    "ACTIONS",
    "ACTION_LOG",
    "ACTION_OPEN",
    "ACTION_SNOOZE",
    "AUDIENCES",
    "CATCH_UP_DAYS",
    "DIGEST_CAP",
    "RUNS",
    "SNOOZE_DAYS",
    "Attachment",
    "Audience",
    "BusinessHours",
    "Channels",
    "Notice",
    "Rule",
    "Run",
    "Words",
    "alert_from_payload",
    "alert_payload",
    "attachment_key",
    "attachment_payload",
    "delivery_key",
    "digest",
    "digest_audience",
    "entries",
    "evaluate",
    "is_channel",
    "notices",
    "queue",
    "queue_due",
    "recipient_zones",
    "register",
    "registered",
    "subject_of",
]
