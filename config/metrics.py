"""The product's Prometheus metrics, defined once, next to the settings every layer imports.

Counters and histograms only: they add up across gunicorn workers in multiprocess mode
without a per-metric aggregation choice. `bot.metrics` serves them (GET /metrics, or
SUBBOT_METRICS_PORT for processes without a web server). Labels take a few fixed values;
never a user, account or message id.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SLACK_REQUESTS = Counter(
    "subbot_slack_requests",
    "Slack requests received, by kind (event, action, view, command) and outcome "
    "(accepted; duplicate = a retry or second delivery of one already taken; recovered = "
    "taken over from a replica that stopped)",
    ["kind", "outcome"],
)
ACK_SECONDS = Histogram(
    "subbot_slack_ack_seconds",
    "Time from receiving a Slack HTTP request to answering it (Slack retries after 3 s)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
SLACK_REPLIES = Counter(
    "subbot_slack_replies",
    "Messages the bot sent to Slack, by kind (message, ephemeral, update, response_url, "
    "upload) and outcome (sent, failed)",
    ["kind", "outcome"],
)
ACTIONS = Counter(
    "subbot_actions",
    "Write actions by kind (pause, change_plan, …) and outcome (proposed, applied, refused, "
    "discarded)",
    ["action", "outcome"],
)
ALERTS = Counter(
    "subbot_alerts",
    "Outbox rows by kind (stalled_deal, renewal, …, pending_card) and outcome (queued, sent, "
    "failed, dropped)",
    ["kind", "outcome"],
)
LLM_CALLS = Counter("subbot_llm_calls", "Chat model calls by outcome (ok, error)", ["outcome"])
LLM_TOKENS = Counter(
    "subbot_llm_tokens",
    "Tokens reported by the model server, by direction (prompt, completion)",
    ["direction"],
)
RETRIEVAL_SECONDS = Histogram(
    "subbot_retrieval_seconds",
    "Knowledge search latency (embedding the question, dense and BM25 search, fusion)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
TURN_SECONDS = Histogram(
    "subbot_turn_seconds",
    "Time to compute one reply in the core, by path (command, understood, knowledge, assistant)",
    ["path"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 90.0),
)
