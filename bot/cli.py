"""Command line: start the bot in one of its modes, or run one maintenance command.

    run_bot.py                       Slack when SLACK_BOT_TOKEN is set (Socket Mode), else console
    run_bot.py --console [--as U]    the console, as a chosen Slack user id
    run_bot.py --http [--host H] [--port P]   Slack HTTP mode in one process (jobs included)
    run_bot.py serve                 production HTTP: gunicorn workers, never the scheduler
    run_bot.py scheduler             the scheduled jobs alone (one per deployment)
    run_bot.py migrate | seed-demo | index | billing-run | alerts | predictions train|score
    run_bot.py import tools|assignments|activity|okta FILE   load licence data (BRIEF §11)
    run_bot.py import storage FILE.csv   daily storage per account (BRIEF §13)

Every way this can go wrong before the bot runs ends in one line on stderr, never a
traceback: exit 2 for a bad command line or setting, 3 when something the bot needs (the
database, the Chroma server, the data directory, Slack) is unavailable. Imports are lazy so
`--help` and argument errors are instant and `serve` can switch Prometheus to multiprocess
mode before any metric exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.start import Unavailable, UsageError
from config.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("subbot")

USAGE_ERROR = 2
UNAVAILABLE = 3
INTERRUPTED = 130

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_SPEAKER = "U_SUPPORT1"
# licences.load.KINDS (kept lazy), and storage snapshots (subscriptions/storage_import.py)
IMPORT_KINDS = ("tools", "assignments", "activity", "okta", "storage")

MODES = """\
start modes (no command):
  run_bot.py                      Slack if SLACK_BOT_TOKEN is set: Socket Mode with
                                  SLACK_APP_TOKEN; otherwise the console on demo data
  run_bot.py --console [--as U]   the console, speaking as Slack user U (default U_SUPPORT1)
  run_bot.py --http [--host H] [--port P]
                                  Slack HTTP mode in one process (127.0.0.1:3000 by default);
                                  needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET
The start modes migrate the database, seed the demo into an empty one, index the documents
and run the scheduled jobs in the same process (SUBBOT_SCHEDULER=false turns that off).
A deployment runs `serve` replicas beside exactly one `scheduler` instead.

exit codes: 0 done, 1 an import file was refused as a whole (nothing written), 2 bad command
line or setting, 3 a needed service or directory is unavailable, 130 interrupted."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not argparse's usage block: `run_bot.py: … (see --help)`."""
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1 or value > 64:
        raise argparse.ArgumentTypeError(f"{value} is out of range (1-64)")
    return value


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="run_bot.py",
        description="subbot: Slack chat-ops bot and assistant for subscription businesses.",
        epilog=MODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start = p.add_argument_group("start options (without a command)")
    start.add_argument("--console", action="store_true", help="talk to the bot in this terminal")
    start.add_argument(
        "--as",
        dest="speaker",
        metavar="USER",
        help=f"console speaker, a Slack user id (default {DEFAULT_SPEAKER})",
    )
    start.add_argument("--http", action="store_true", help="Slack HTTP mode in this process")
    start.add_argument("--host", help=f"--http address (default {DEFAULT_HOST})")
    start.add_argument("--port", type=_port, help=f"--http port (default {DEFAULT_PORT})")

    sub = p.add_subparsers(dest="command", metavar="command", title="commands")
    sub.add_parser("migrate", help="bring the database schema up to date")
    seed = sub.add_parser("seed-demo", help="create the Nimbus Notes demo company (once)")
    seed.add_argument("--generated", type=int, default=200, help="generated accounts (200)")
    index = sub.add_parser("index", help="(re)index the documents in SUBBOT_DOCS_DIR")
    index.add_argument("--rebuild", action="store_true", help="drop the index and embed all")
    billing = sub.add_parser("billing-run", help="run the daily billing schedule now")
    billing.add_argument("--date", type=_iso_date, help="as of this day (YYYY-MM-DD)")
    alerts = sub.add_parser("alerts", help="gather and send today's alerts now")
    alerts.add_argument("--dry-run", action="store_true", help="only print what would be sent")
    alerts.add_argument("--date", type=_iso_date, help="as of this day (YYYY-MM-DD)")
    churn = sub.add_parser(
        "predictions",
        help="churn model: train (record a model and score) or score (today's scores)",
        description="train: record the churn model trained on the synthetic population "
        "(docs/churn-model.md) and score every live paid account with it; score: today's "
        "scores with the newest recorded model. The scheduler does both on its own: scores "
        "daily, trains weekly.",
    )
    churn.add_argument("action", choices=("train", "score"), help="what to do")
    churn.add_argument("--date", type=_iso_date, help="as of this day (YYYY-MM-DD)")
    load = sub.add_parser(
        "import",
        help="load licence data: tools, assignments, activity (CSV) or okta (System Log JSON); "
        "or daily storage per account (CSV)",
        description="Apply one file in one transaction (nothing when the file is unusable), "
        "matching people by work email and tools by product or identity-provider app name; "
        "storage rows by account name, domain or #id. Bad rows are reported by line and "
        "skipped. Formats: docs/IMPORTS.md; samples: licences/importers/samples/.",
    )
    load.add_argument("kind", choices=IMPORT_KINDS, help="what the file holds")
    load.add_argument("file", type=Path, help="the file to import")
    sub.add_parser(
        "scheduler",
        help="run the scheduled jobs alone (one per deployment, beside `serve`)",
        description="Run the daily billing run, the alerts, the churn scores (daily) and model "
        "(weekly) and the weekly report on their schedule, and nothing else. Messages go to "
        "Slack with SLACK_BOT_TOKEN, else stdout.",
    )
    serve = sub.add_parser(
        "serve",
        help="production Slack HTTP server (gunicorn; no scheduled jobs)",
        description="Serve POST /slack/events, GET /healthz, /readyz and /metrics with "
        "gunicorn. Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. Run `migrate` and `index` "
        "before, and one `scheduler` beside the replicas.",
    )
    serve.add_argument("--host", default=None, help=f"address (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=_port, default=None, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument(
        "--workers", type=_positive, default=None, help="worker processes (SUBBOT_WEB_WORKERS)"
    )
    return p


# ---- which mode: a pure decision, tested without starting anything ----------------------------
def start_mode(args: argparse.Namespace, settings: Settings) -> str:
    """`console`, `socket` or `http` for a start without a command; UsageError otherwise.

    A command with start options, or Slack settings that cannot work together, is refused
    here, before anything is migrated or started.
    """
    start_flags = [
        flag
        for flag, value in (
            ("--console", args.console),
            ("--as", args.speaker),
            ("--http", args.http),
        )
        if value
    ]
    if args.command is not None:
        if start_flags:
            raise UsageError(f"{start_flags[0]} starts the bot; it does not go with {args.command}")
        if args.command != "serve" and (args.host or args.port):
            raise UsageError("--host and --port go with --http or serve")
        return args.command
    if args.console and args.http:
        raise UsageError("choose --console or --http, not both")
    if (args.host or args.port) and not args.http:
        raise UsageError("--host and --port go with --http (or the serve command)")
    if args.http:
        _need_http(settings, "--http")
        return "http"
    if args.console:
        return "console"
    if settings.slack_bot_token:
        if args.speaker:
            raise UsageError("--as speaks in the console: add --console (Slack tokens are set)")
        if not settings.slack_app_token:
            raise UsageError(
                "SLACK_BOT_TOKEN is set but SLACK_APP_TOKEN is not: set it for Socket Mode, "
                "start with --http for HTTP mode, or --console"
            )
        return "socket"
    if settings.slack_app_token:
        raise UsageError(
            "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not (Socket Mode needs both)"
        )
    return "console"


def _need_http(settings: Settings, what: str) -> None:
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
        )
        if not value
    ]
    if missing:
        raise UsageError(f"{what} needs {' and '.join(missing)} (HTTP mode verifies every request)")


# ---- entry point -----------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    # Start-up allocates hundreds of thousands of long-lived objects (modules, ORM mappers);
    # the cyclic collector would scan them over and over. It comes back on (with those objects
    # frozen out of its way) once the bot is ready to talk, or before any command runs.
    gc.disable()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        mode = start_mode(args, settings)
        if mode == "serve":
            _need_http(settings, "serve")
    except SettingsError as err:
        return _say(f"configuration error: {err}", USAGE_ERROR)
    except UsageError as err:
        return _say(str(err), USAGE_ERROR)
    if mode == "serve":
        from bot.metrics import use_multiprocess_dir

        use_multiprocess_dir(settings.data_dir)  # before any metric exists (see bot.metrics)
    _configure_logging(settings)
    from bot import stopping

    stopper = stopping.install()
    try:
        return _run(mode, args, settings)
    except stopping.Stop as stop:
        return stop.code
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        return stopping.quiet_broken_pipe()
    except Unavailable as err:
        return _say(str(err), UNAVAILABLE)
    except UsageError as err:
        return _say(str(err), USAGE_ERROR)
    finally:
        stopper.uninstall()


def _say(message: str, code: int) -> int:
    print(f"subbot: {message}", file=sys.stderr)
    return code


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("alembic", "apscheduler", "httpx", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _run(mode: str, args: argparse.Namespace, settings: Settings) -> int:
    from bot import start
    from bot.services import build_services

    if mode not in ("console", "socket"):
        start.collect_garbage_again()  # long commands allocate a lot: collect as usual

    start.check_data_dir(settings)
    services = build_services(settings)
    try:
        with start.unavailable_as_one_line(settings):
            return _dispatch(mode, args, services)
    finally:
        services.db.dispose()


def _dispatch(mode: str, args: argparse.Namespace, services: Services) -> int:
    from bot import start

    if mode == "migrate":
        services.db.migrate()
        print("Schema is up to date.")
        return 0
    if mode == "seed-demo":
        services.db.migrate()
        return start.seed(services, args.generated)
    if mode == "index":
        return start.index(services, rebuild=args.rebuild)
    if mode == "billing-run":
        from bot.jobs import billing_run_command

        services.db.migrate()
        return billing_run_command(services, args.date)
    if mode == "alerts":
        from bot.jobs import alerts_command

        services.db.migrate()
        notifier = None if args.dry_run else start.notifier(services)
        return alerts_command(services, args.date, args.dry_run, notifier)
    if mode == "predictions":
        from bot.jobs import predictions_command

        services.db.migrate()
        return predictions_command(services, args.action, args.date)
    if mode == "import":
        from bot.import_command import import_command

        services.db.migrate()
        return import_command(services, args.kind, args.file)
    if mode == "scheduler":
        return start.run_scheduler(services)
    if mode == "serve":
        return start.run_serve(
            services,
            host=args.host or DEFAULT_HOST,
            port=args.port or DEFAULT_PORT,
            workers=args.workers,
        )
    return start.run_bot(
        services,
        mode,
        speaker=args.speaker or DEFAULT_SPEAKER,
        host=args.host or DEFAULT_HOST,
        port=args.port or DEFAULT_PORT,
    )
