"""``python -m schema_guard`` is the ``schema-guard`` command."""

import sys

from schema_guard.cli import main

sys.exit(main())
