"""`python -m reelstack_tools.localcloud` is `reelstack up`."""

import sys

from reelstack_tools.localcloud.command import main

sys.exit(main())
