"""``python -m somp`` runs the command line (the same as the ``somp`` script)."""

from somp.cli import main

main()
