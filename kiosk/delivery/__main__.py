"""``python -m kiosk.delivery``: the delivery subcommands without the UI package."""

import sys

from kiosk.delivery.cli import main

sys.exit(main())
