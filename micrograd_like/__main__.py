"""``python -m micrograd_like``: the same as the ``micrograd-like`` command."""

from micrograd_like.cli import main

raise SystemExit(main())
