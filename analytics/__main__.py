"""Entry point of ``python -m analytics``: hands the arguments to ``analytics.cli.main`` and exits with its code."""

import sys

from analytics.cli import main

if __name__ == "__main__":
    sys.exit(main())
