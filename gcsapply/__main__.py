"""``python -m gcsapply``."""

import sys

from gcsapply.cli import main

sys.exit(main())
