"""`python -m service` runs the `wirefeed` command."""

from service.cli import main

main()
