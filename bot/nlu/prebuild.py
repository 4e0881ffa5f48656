"""Install-time step: embed the router's examples and fit its head once (`make setup`), so
the first free-text message after an install does not wait for them (seconds on 2 cores).

    python -m bot.nlu.prebuild
"""

from __future__ import annotations

import os
import sys
import time


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bot.nlu.router import build_router
    from config.settings import load_settings

    started = time.perf_counter()
    router = build_router(load_settings())
    router.head  # noqa: B018 - embeds the examples, then fits (or reads) the head
    took = time.perf_counter() - started
    print(f"intent router prebuild: {len(router.examples)} examples and the head in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
