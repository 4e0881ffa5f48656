"""The Slack adapter: Bolt listeners that translate Slack payloads to the conversation core
and render its replies as Block Kit. Entry points are in `bot.slack.app`."""
