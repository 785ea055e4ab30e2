"""``python -m evals``: see evals/cli.py and evals/README.md."""

import sys

from evals.cli import main

sys.exit(main())
