"""`python -m territoires`: the same as the `territoires` console script."""

import sys

from territoires.cli import main

sys.exit(main())
