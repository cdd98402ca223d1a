"""`python -m workers_parity` is the `workers-parity` command."""

import sys

from workers_parity.cli import main

sys.exit(main())
