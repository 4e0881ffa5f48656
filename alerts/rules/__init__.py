"""One module per alert rule. Importing this package imports every module in it, and each
module registers its rule(s) with `alerts.rule.register`: nothing lists the rules by hand."""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
