"""``python -m clearance`` names the command to run instead.

The command line is an adapter (the ``cli`` package) and the core never imports its adapters, so
this module does not start it: it says which command does, and exits with the usage code.
"""

import sys

sys.stderr.write(
    "error: run the command line as `clearance` (or `python -m cli`); "
    "the offline verifier is `clearance-verify`\n"
)
sys.exit(2)
