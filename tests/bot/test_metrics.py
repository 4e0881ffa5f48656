"""Serving metrics: the multiprocess directory `serve` uses, and the exposition."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.metrics import ENV, use_multiprocess_dir


def test_serve_gets_a_fresh_directory_and_stale_ones_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    metrics = tmp_path / "metrics"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for pid in (dead.pid, os.getppid(), os.getpid()):
        (metrics / f"serve-{pid}").mkdir(parents=True)
        (metrics / f"serve-{pid}" / "counter_1.db").write_bytes(b"old")
    path = use_multiprocess_dir(tmp_path)
    assert path == metrics / f"serve-{os.getpid()}"
    assert os.environ[ENV] == str(path)
    assert list(path.iterdir()) == []  # prometheus_client needs it empty at start
    assert not (metrics / f"serve-{dead.pid}").exists()  # its server is gone
    assert (metrics / f"serve-{os.getppid()}").exists()  # a live server keeps its files


def test_a_configured_directory_is_used_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine"
    monkeypatch.setenv(ENV, str(mine))
    assert use_multiprocess_dir(tmp_path / "data") == mine and mine.is_dir()


def test_the_exposition_lists_the_product_metrics() -> None:
    code = (
        "from bot.metrics import exposition; from config.metrics import ACTIONS;"
        "ACTIONS.labels('pause', 'applied').inc();"
        "print(exposition()[1].decode())"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert 'subbot_actions_total{action="pause",outcome="applied"} 1.0' in out
    for name in (
        "subbot_slack_requests_total",
        "subbot_slack_ack_seconds",
        "subbot_slack_replies_total",
        "subbot_alerts_total",
        "subbot_llm_calls_total",
        "subbot_llm_tokens_total",
        "subbot_retrieval_seconds",
        "subbot_turn_seconds",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in out, name
