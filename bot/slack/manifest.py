"""The Slack app manifest (`slack/manifest.json`, Socket Mode) and its HTTP-mode variant.

    python -m bot.slack.manifest                                      # as shipped
    python -m bot.slack.manifest --http https://bot.example.com/slack/events

HTTP mode needs the public request URL in three places (events, interactivity, the slash
command) and Socket Mode switched off; generating that variant beats editing JSON by hand.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.json"


def load(path: Path = MANIFEST) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def for_http(manifest: dict[str, Any], request_url: str) -> dict[str, Any]:
    """The same app for HTTP mode: every Slack request goes to `request_url`."""
    out = copy.deepcopy(manifest)
    settings = out["settings"]
    settings["socket_mode_enabled"] = False
    settings["event_subscriptions"]["request_url"] = request_url
    settings["interactivity"]["request_url"] = request_url
    for command in out["features"].get("slash_commands", []):
        command["url"] = request_url
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print subbot's Slack app manifest.")
    parser.add_argument(
        "--http",
        metavar="REQUEST_URL",
        help="HTTP mode: the public URL of /slack/events (https://<host>/slack/events)",
    )
    args = parser.parse_args(argv)
    manifest = load()
    if args.http:
        manifest = for_http(manifest, args.http)
    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
