"""``python -m prompt_recycling.cli``."""

import sys

from prompt_recycling.cli import main

sys.exit(main())
