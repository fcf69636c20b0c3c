"""``python -m kiosk.agent``: the agent without the UI package."""

import sys

from kiosk.agent.cli import main

sys.exit(main())
