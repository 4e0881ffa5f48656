#!/usr/bin/env python3
"""Entry point: `python run_bot.py [command] [options]`; see `python run_bot.py --help`."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
