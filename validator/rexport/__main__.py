"""`python -m rexport`: the same as the `rexport` command."""

from rexport.cli import main

main()
