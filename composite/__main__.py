"""`python -m composite` runs the command line."""

import sys

from composite.cli import main

sys.exit(main())
