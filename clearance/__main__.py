"""``python -m clearance`` runs the command line."""

from clearance.cli import main

main()
