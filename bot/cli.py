"""Command line: start the bot, or run one maintenance command (migrate, seed-demo, …).

Start-up problems (a bad setting, an unreachable database) end in one line naming the cause,
never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.services import Services, build_services
from config.settings import SettingsError, load_settings

log = logging.getLogger("subbot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run_bot.py",
        description="subbot: Slack chat-ops bot for subscription businesses.",
    )
    p.add_argument("--console", action="store_true", help="talk to the bot in this terminal")
    p.add_argument(
        "--as",
        dest="speaker",
        default="U_SUPPORT1",
        metavar="SLACK_USER_ID",
        help="speak as this user in the console (default U_SUPPORT1)",
    )
    p.add_argument("--http", action="store_true", help="Slack HTTP mode (Events API)")
    p.add_argument("--host", default="127.0.0.1", help="HTTP mode address (127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="HTTP mode port (3000)")
    sub = p.add_subparsers(dest="command", metavar="command")
    sub.add_parser("migrate", help="bring the database schema up to date")
    index = sub.add_parser("index", help="(re)build the knowledge index from knowledge/docs")
    index.add_argument("--rebuild", action="store_true", help="drop the index and embed all")
    billing = sub.add_parser("billing-run", help="run the daily billing schedule now")
    billing.add_argument("--date", type=_iso_date, help="run as of this day (YYYY-MM-DD)")
    alerts = sub.add_parser("alerts", help="gather and send today's alerts now")
    alerts.add_argument("--dry-run", action="store_true", help="only print what would be sent")
    alerts.add_argument("--date", type=_iso_date, help="as of this day (YYYY-MM-DD)")
    seed = sub.add_parser("seed-demo", help="create the Nimbus Notes demo company")
    seed.add_argument("--generated", type=int, default=200, help="generated accounts (200)")
    return p


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"subbot: configuration error: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    services = build_services(settings)
    try:
        return _dispatch(args, services)
    except OperationalError as err:
        print(
            f"subbot: database unavailable ({settings.db_url.split('@')[-1]}): "
            f"{err.orig or err}".splitlines()[0],
            file=sys.stderr,
        )
        return 3
    except KeyboardInterrupt:
        return 130
    finally:
        services.db.dispose()


def _dispatch(args: argparse.Namespace, services: Services) -> int:
    if args.command == "migrate":
        services.db.migrate()
        print("Schema is up to date.")
        return 0
    if args.command == "index":
        return _index(services, rebuild=args.rebuild)
    if args.command == "seed-demo":
        services.db.migrate()
        return _seed(services, args.generated)
    if args.command == "billing-run":
        from bot.jobs import billing_run_command

        services.db.migrate()
        return billing_run_command(services, args.date)
    if args.command == "alerts":
        from bot.jobs import alerts_command

        services.db.migrate()
        notifier = None if args.dry_run else _notifier(services)
        return alerts_command(services, args.date, args.dry_run, notifier)
    # Default: start the bot on whatever is configured.
    prepare(services)
    from bot.agent import build_brain
    from bot.console import run_console
    from bot.core import Core

    brain = build_brain(services)
    core = Core(services, retriever_factory=retriever_factory(services), brain=brain)
    use_slack = not args.console and (services.settings.slack_enabled or args.http)
    scheduler = None
    if services.settings.scheduler_enabled:
        from bot.scheduler import build_scheduler

        scheduler = build_scheduler(services, _notifier(services, slack=use_slack))
        scheduler.start()
    try:
        if use_slack:
            return _run_slack(services, core, args)
        return run_console(
            core, speaker=args.speaker, history=services.settings.data_dir / ".console_history"
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if brain is not None:
            brain.close()


def _seed(services: Services, generated: int = 200) -> int:
    from store.demo import seed_demo

    report = seed_demo(services.db, services.clock, generated=generated)
    if report.created:
        print(
            f"Seeded the Nimbus Notes demo for {services.clock.today().isoformat()}: "
            f"{report.accounts} accounts, {report.subscriptions} subscriptions, "
            f"{report.invoices} invoices, {report.deals} deals."
        )
    else:
        print("The database already holds data; the demo seed changed nothing.")
    return 0


def _notifier(services: Services, *, slack: bool | None = None) -> Any:
    """Where scheduled messages go: Slack when configured, else printed in the console."""
    settings = services.settings
    if slack is None:
        slack = settings.slack_enabled
    if slack and settings.slack_bot_token:
        from bot.notify import SlackNotifier
        from bot.slack.app import make_client

        return SlackNotifier(make_client(settings.slack_bot_token, settings.slack_api_base_url))
    from bot.notify import ConsoleNotifier

    return ConsoleNotifier(save_dir=settings.data_dir / "charts")


def _run_slack(services: Services, core: Any, args: argparse.Namespace) -> int:
    from bot.slack.app import run_socket_mode, serve_http

    if args.http:
        return serve_http(services, core, port=args.port, host=args.host)
    if services.settings.slack_app_token:
        return run_socket_mode(services, core)
    print(
        "subbot: Slack: set SLACK_APP_TOKEN for Socket Mode, or start with --http", file=sys.stderr
    )
    return 2


def _index(services: Services, *, rebuild: bool = False) -> int:
    from knowledge.indexer import build_index, reset_index

    if rebuild:
        reset_index(services.settings)
    report = build_index(services.settings, progress=sys.stderr.isatty())
    print(report.summary())
    return 0


def retriever_factory(services: Services) -> Callable[[], Any]:
    def build() -> Any:
        from knowledge.retrieval import Retriever

        return Retriever.from_settings(services.settings)

    return build


def prepare(services: Services) -> None:
    """What `make run` needs before talking: the schema, and demo data on an empty store.

    The embedding model loads in a background thread meanwhile (see `bench/startup.py`).
    The knowledge modules (chromadb, langchain-core, onnxruntime) are imported with the
    cyclic garbage collector paused, then frozen: they live as long as the process, and
    scanning them again and again while they pile up cost ~0.1 s of every start.
    """
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        from knowledge.embeddings import preload_in_background

        preload_in_background(services.settings)  # before chromadb's import, to overlap it
        from knowledge.indexer import build_index
    finally:
        gc.freeze()
        if collecting:
            gc.enable()

    services.db.migrate()
    if services.db.is_empty():
        _seed(services)
    report = build_index(services.settings, progress=sys.stderr.isatty())
    if report.embedded:
        print(report.summary())
