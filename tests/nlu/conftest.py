"""The router over the shipped MiniLM, built once for the module (a few seconds), and a core
over the seeded demo that uses it."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.nlu.router import Router, build_router
from bot.services import Services
from config.settings import load_settings
from tests.bot.conftest import demo_db, services  # noqa: F401 - fixtures
from tests.fakes import ScriptedRetriever


@pytest.fixture(scope="session")
def router() -> Router:
    built = build_router(load_settings())
    built.vectors  # noqa: B018 - embed the examples once
    return built


@pytest.fixture
def retriever() -> ScriptedRetriever:
    return ScriptedRetriever()


@pytest.fixture
def core(services: Services, retriever: ScriptedRetriever, router: Router) -> Core:  # noqa: F811
    return Core(services, retriever_factory=lambda: retriever, router_factory=lambda: router)
