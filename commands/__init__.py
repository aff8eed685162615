"""Subcommands of the `priorauth` command line, one module per group."""
