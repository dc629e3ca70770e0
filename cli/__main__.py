"""``python -m cli`` runs the ``clearance`` command (the console script is the documented way)."""

from cli import main

main()
