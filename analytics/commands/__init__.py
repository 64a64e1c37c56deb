"""Subcommands of ``python -m analytics``: each module defines ``register(subparsers, common)``
adding its commands, and a handler per command taking the parsed arguments and returning an
exit code. The handlers stay thin and call plain functions of the ``analytics`` package."""
