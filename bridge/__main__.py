"""``python -m bridge``: the training command (same as ``deephealth-train``)."""

import sys

from .app.cli import main

if __name__ == "__main__":
    sys.exit(main())
