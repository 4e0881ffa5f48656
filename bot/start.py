"""How each mode of `run_bot.py` starts and stops (the CLI only parses and decides).

- `run_bot` — console, Socket Mode or `--http`: one process that prepares the store and the
  index (`make run` needs nothing else) and runs the scheduled jobs itself.
- `run_serve` — the production web tier: gunicorn workers, never the scheduler.
- `run_scheduler` — the scheduled jobs alone, one per deployment.

Module-level imports stay light: the CLI imports this before it knows the mode.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from config.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core
    from bot.notify import Notifier
    from bot.services import Services

log = logging.getLogger("subbot")


class UsageError(Exception):
    """The command line and the settings do not make a runnable combination (exit 2)."""


class Unavailable(Exception):
    """Something the bot needs is not there (database, Chroma, data directory, Slack);
    the message names it in one line."""


# ---- what must be there before anything starts --------------------------------------------------
def check_data_dir(settings: Settings) -> None:
    """The data directory holds the SQLite file, the index and the agent's memory: find out
    now, in one line, if it cannot be written (read-only, full, no permission)."""
    path = settings.data_dir
    probe = path / f".subbot-write-check-{os.getpid()}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"\0" * 16_384)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        raise Unavailable(f"data directory {path} is not writable: {_os_reason(err)}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def _os_reason(err: OSError) -> str:
    known = {
        errno.ENOSPC: "no space left on the device",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EDQUOT: "disk quota exceeded",
    }
    return known.get(err.errno or 0) or err.strerror or str(err)


def _where(url: str) -> str:
    """A database URL without its credentials, for messages."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return "the database"
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or "SQLite"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host or 'localhost'}{port}/{parsed.database or ''}"


@contextlib.contextmanager
def unavailable_as_one_line(settings: Settings) -> Iterator[None]:
    """Turn 'the database / Chroma / the disk is not there' into `Unavailable`."""
    from sqlalchemy.exc import DBAPIError

    from knowledge.errors import KnowledgeUnavailable

    try:
        yield
    except DBAPIError as err:
        if not err.connection_invalidated and not _is_unavailable(err):
            raise
        first = str(err.orig or err).strip().splitlines()[0] if str(err.orig or err) else ""
        raise Unavailable(f"database unavailable ({_where(settings.db_url)}): {first}") from None
    except KnowledgeUnavailable as err:
        raise Unavailable(str(err)) from None
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
            where = f" ({err.filename})" if err.filename else ""
            raise Unavailable(f"cannot write{where}: {_os_reason(err)}") from None
        raise


def _is_unavailable(err: Any) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    if isinstance(err, InterfaceError):
        return True
    if not isinstance(err, OperationalError):
        return False
    text = str(err.orig or "").lower()
    # SQLite reports a full or read-only disk and a missing directory as OperationalError too;
    # anything else (a bad query) is a bug and keeps its traceback in the log.
    return not any(word in text for word in ("syntax error", "no such column", "no such table"))


def require_current_schema(services: Services) -> None:
    """`serve` and `scheduler` never migrate (a release step does, once): refuse to run on a
    database that is behind this code."""
    if not services.db.schema_is_current():
        raise Unavailable(
            f"the database schema ({_where(services.settings.db_url)}) is not up to date: "
            "run `run_bot.py migrate` first"
        )


# ---- maintenance steps shared by the modes -----------------------------------------------------
def seed(services: Services, generated: int = 200) -> int:
    from seed.demo import seed_demo

    report = seed_demo(
        services.db,
        services.clock,
        generated=generated,
        model_cache=services.settings.model_cache,
    )
    if report.created:
        print(
            f"Seeded the Nimbus Notes demo for {services.clock.today().isoformat()}: "
            f"{report.accounts} accounts, {report.subscriptions} subscriptions, "
            f"{report.invoices} invoices, {report.deals} deals."
        )
    else:
        print("The database already holds data; the demo seed changed nothing.")
    return 0


def index(services: Services, *, rebuild: bool = False) -> int:
    from knowledge.indexer import build_index, reset_index

    if rebuild:
        reset_index(services.settings)
    report = build_index(services.settings, progress=sys.stderr.isatty())
    print(report.summary())
    return 0


def prepare(services: Services) -> None:
    """What `make run` needs before talking: the schema, demo data in an empty store, and
    the index (incremental: unchanged documents are not embedded again).

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
        seed(services)
    report = build_index(services.settings, progress=sys.stderr.isatty())
    if report.embedded:
        print(report.summary(), flush=True)


def collect_garbage_again() -> None:
    """End of start-up (see bot.cli.main): what exists now lives as long as the process."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def retriever_factory(services: Services) -> Callable[[], Any]:
    def build() -> Any:
        from knowledge.retrieval import Retriever

        return Retriever.from_settings(services.settings)

    return build


def build_core(services: Services) -> Core:
    from bot.agent import build_brain
    from bot.core import Core

    brain = build_brain(services)
    return Core(
        services,
        retriever_factory=retriever_factory(services),
        brain=brain,
        router_factory=None if brain is not None else router_factory(services),
    )


def router_factory(services: Services) -> Callable[[], Any]:
    """The intent router (bot/nlu), built on the first free-text message: start-up does not
    wait for it (its example vectors come from the model's cache after the first run)."""

    def build() -> Any:
        from bot.nlu.router import build_router

        return build_router(services.settings)

    return build


def close_core(core: Core) -> None:
    close = getattr(core.brain, "close", None)
    if close is not None:
        close()


def notifier(services: Services, *, slack: bool | None = None) -> Notifier:
    """Where scheduled messages go: Slack when configured, else printed on stdout."""
    settings = services.settings
    if slack is None:
        slack = settings.slack_enabled
    if slack and settings.slack_bot_token:
        from bot.notify import SlackNotifier
        from bot.slack.app import make_client

        return SlackNotifier(
            make_client(
                settings.slack_bot_token, settings.slack_api_base_url, settings.slack_api_timeout
            )
        )
    from bot.notify import ConsoleNotifier

    return ConsoleNotifier(save_dir=settings.data_dir / "charts")


# ---- the modes ---------------------------------------------------------------------------------
def run_bot(services: Services, mode: str, *, speaker: str, host: str, port: int) -> int:
    """Console, Socket Mode or single-process HTTP, with the scheduled jobs in-process."""
    if mode == "http":
        from bot.serve import serve

        # The one gunicorn worker prepares, builds the bot and runs the jobs (see bot.serve).
        return serve(services.settings, host=host, port=port, workers=1, single_process=True)
    prepare(services)
    core = build_core(services)
    collect_garbage_again()
    jobs = None
    if services.settings.scheduler_enabled:
        jobs = DeferredJobs(services, slack=mode != "console").start()
    try:
        if mode == "socket":
            from bot.metrics import serve_on_port
            from bot.slack.app import run_socket_mode

            serve_on_port(services.settings.metrics_port)
            return run_socket_mode(services, core)
        from bot.console import run_console

        return run_console(
            core,
            speaker=speaker,
            history=services.settings.data_dir / ".console_history",
            files_dir=services.settings.data_dir / "files",
        )
    finally:
        if jobs is not None:
            jobs.stop()
        close_core(core)


class DeferredJobs:
    """The scheduled jobs of a single-process bot, started a moment after it is up.

    Jobs are never urgent (a run missed while starting is coalesced and runs once), the
    first answer is: building the scheduler (APScheduler, the job store, the alert rules)
    would otherwise sit between start-up and the first reply.
    """

    DELAY = 2.0  # seconds

    def __init__(self, services: Services, *, slack: bool, delay: float | None = None) -> None:
        self.services = services
        self.slack = slack
        self.delay = self.DELAY if delay is None else delay
        self.scheduler: Any = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="subbot-jobs", daemon=True)

    def start(self) -> DeferredJobs:
        self._thread.start()
        return self

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        from bot.scheduler import build_scheduler

        try:
            scheduler = build_scheduler(self.services, notifier(self.services, slack=self.slack))
            with self._lock:
                if self._stop.is_set():
                    return
                scheduler.start()
                self.scheduler = scheduler
            log.info("scheduled jobs run in this process: %s", jobs_summary(scheduler))
        except Exception:  # e.g. the database went away: the bot still talks
            log.exception("the scheduled jobs could not start")

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
        self._thread.join(timeout=5)


def jobs_summary(scheduler: Any) -> str:
    return ", ".join(
        f"{job.id} next {job.next_run_time:%Y-%m-%d %H:%M %Z}" for job in scheduler.get_jobs()
    )


def run_scheduler(services: Services) -> int:
    """The scheduled jobs alone, until SIGTERM/SIGINT (bot.stopping ends the wait)."""
    import threading

    from bot.scheduler import build_scheduler

    require_current_schema(services)
    from bot.metrics import serve_on_port

    serve_on_port(services.settings.metrics_port)
    scheduler = build_scheduler(services, notifier(services))
    scheduler.start()
    print(f"subbot scheduler running: {jobs_summary(scheduler)}", flush=True)
    try:
        threading.Event().wait()
    finally:
        scheduler.shutdown(wait=True)
    return 0


def run_serve(services: Services, *, host: str, port: int, workers: int | None) -> int:
    from bot.serve import serve

    require_current_schema(services)
    return serve(
        services.settings,
        host=host,
        port=port,
        workers=workers or services.settings.web_workers,
        single_process=False,
    )
