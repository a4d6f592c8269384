"""`python -m digest`: the command line, where the `digest` script is not on PATH."""

from .cli import main

main()
