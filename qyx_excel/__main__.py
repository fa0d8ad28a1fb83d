"""``python -m qyx_excel`` runs the ``qyx`` command line."""

import sys

from .cli import main

sys.exit(main())
