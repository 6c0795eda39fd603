"""``python -m kindred.security``: the battery runner (kindred/security/runner.py)."""

import sys

from kindred.security.runner import main

sys.exit(main())
