"""`python -m curator`: the same entry point as the `curator` command."""

from curator.cli.app import main

main()
