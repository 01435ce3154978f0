"""``python -m api.cli`` runs the ``gridmap`` command line."""

from api.cli import main

main()
