"""Malformed requests get a 4xx and one log line, never a 500 or a traceback (issue 12, item 6).

Each case is one the red-team pass sent to the HTTP mode: unsigned requests with a timestamp
that is no integer, and signed bodies that are not what Slack sends.
"""

from __future__ import annotations

import json
import logging
import urllib.parse

import pytest

from tests.slack.conftest import SlackHarness
from tests.slack.fake_slack import signature

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


SIGNED_BROKEN = [
    pytest.param(b"{not json", JSON, id="broken json"),
    pytest.param(b"[1,2,3]", JSON, id="a json list"),
    pytest.param(b"null", JSON, id="json null"),
    pytest.param(b"", JSON, id="empty json body"),
    pytest.param(form(payload="[1,2]"), FORM, id="payload a list"),
    pytest.param(form(payload="{nope"), FORM, id="payload broken"),
    pytest.param(form(payload='"text"'), FORM, id="payload a string"),
    pytest.param(
        form(
            payload=json.dumps(
                {
                    "type": "view_submission",
                    "user": {"id": "U_SALES1"},
                    "view": {
                        "callback_id": "log_activity",
                        "private_metadata": "[1,2]",
                        "state": {"values": {}},
                    },
                }
            )
        ),
        FORM,
        id="view metadata a list",
    ),
    pytest.param(
        form(payload=json.dumps({"type": "block_actions", "user": "U_SALES1", "actions": "x"})),
        FORM,
        id="actions not a list",
    ),
    pytest.param(b"\xff\xfe\x00garbage", FORM, id="not utf-8"),
]


@pytest.mark.parametrize(("body", "content_type"), SIGNED_BROKEN)
def test_a_signed_malformed_body_is_a_4xx_without_a_traceback(
    harness: SlackHarness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    with caplog.at_level(logging.INFO):
        status, _ = harness.sender.post(body, content_type)
        harness.settle()
    assert status == 400, status
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert harness.fake.count("chat.postMessage") == 0


@pytest.mark.parametrize("timestamp", ["abc", "1763300000.5", "", "9" * 40, "-1"])
def test_a_timestamp_that_is_no_integer_is_refused(
    harness: SlackHarness, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    body = json.dumps(harness.sender.envelope(harness.mention("plans"))).encode()
    with caplog.at_level(logging.INFO):
        status, _ = harness.sender.post(
            body,
            JSON,
            headers={
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": signature(harness.sender.secret, timestamp, body),
            },
        )
    assert status in (400, 401), status
    assert not [r for r in caplog.records if r.exc_info]
