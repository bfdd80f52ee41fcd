"""``python -m torchlike run SCRIPT [ARGS...]``: see torchlike.cli."""
import sys

from .cli import main

sys.exit(main())
