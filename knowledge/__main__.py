"""`python -m knowledge index [--rebuild] [--docs DIR]`: build the knowledge index."""

from __future__ import annotations

import sys

from knowledge.indexer import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["index"]:
        args = args[1:]
    sys.exit(main(args))
