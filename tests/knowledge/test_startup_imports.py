"""What the knowledge modules import at start-up, and that the shortcuts change nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fresh_python(code: str) -> dict[str, object]:
    """Run `code` in a new interpreter (nothing imported yet); it prints one JSON line."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_chromadb_import_skips_override_checks_only_while_importing() -> None:
    got = fresh_python(
        "import json, sys\n"
        "import knowledge.store as store\n"
        "ov = sys.modules['overrides.overrides']\n"
        "from chromadb.api.segment import SegmentAPI\n"
        "print(json.dumps({\n"
        "  'restored': ov._overrides.__name__,\n"
        "  'marked': getattr(SegmentAPI.get_collection, '__override__', False),\n"
        "  'same': store.chromadb is sys.modules['chromadb'],\n"
        "}))"
    )
    assert got == {"restored": "_overrides", "marked": True, "same": True}


def test_an_incompatible_override_is_still_caught_after_the_import() -> None:
    """The checks are skipped for chromadb's own classes, not switched off for good."""
    got = fresh_python(
        "import json\n"
        "import knowledge.store\n"
        "from overrides import override\n"
        "class Base:\n"
        "    def f(self, x: int) -> int: return x\n"
        "try:\n"
        "    class Child(Base):\n"
        "        @override\n"
        "        def f(self) -> int: return 1\n"
        "    caught = False\n"
        "except TypeError:\n"
        "    caught = True\n"
        "print(json.dumps({'caught': caught}))"
    )
    assert got == {"caught": True}


def test_bm25s_is_imported_without_scipy_and_scipy_still_imports() -> None:
    pytest.importorskip("scipy")
    got = fresh_python(
        "import json, sys\n"
        "import knowledge.lexical\n"
        "before = 'scipy.sparse' in sys.modules\n"
        "import scipy.sparse\n"
        "print(json.dumps({'before': before, 'after': 'scipy.sparse' in sys.modules}))"
    )
    assert got == {"before": False, "after": True}


def test_bm25_scores_do_not_depend_on_the_matrix_backend() -> None:
    """Our index always used bm25s's numpy backend; the scipy one gives the same scores."""
    pytest.importorskip("scipy.sparse")
    got = fresh_python(
        "import json\n"
        "import bm25s  # first, normally: with scipy\n"
        "import numpy as np\n"
        "from knowledge.chunking import load_documents\n"
        "from knowledge.indexer import SHIPPED_DOCS\n"
        "from knowledge.lexical import tokenize\n"
        "docs = load_documents(SHIPPED_DOCS)\n"
        "corpus = [tokenize(c.context_text) or [''] for d in docs for c in d.chunks]\n"
        "scores = {}\n"
        "for backend in ('numpy', 'scipy'):\n"
        "    index = bm25s.BM25(k1=1.2, b=0.75, method='lucene', csc_backend=backend)\n"
        "    index.index(corpus, show_progress=False)\n"
        "    scores[backend] = [index.get_scores(tokenize(q)) for q in\n"
        "        ('pause subscription', 'refund annual plan', 'SCIM single sign-on')]\n"
        "same = all(np.allclose(a, b, atol=1e-6) for a, b in zip(*scores.values()))\n"
        "print(json.dumps({'same': bool(same), 'n': len(corpus)}))"
    )
    assert got["same"] is True and int(got["n"]) > 100  # type: ignore[call-overload]
