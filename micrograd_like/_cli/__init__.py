"""The pieces of the ``micrograd-like`` command line (the entry point is :mod:`micrograd_like.cli`).

``app`` runs a command line and turns every outcome into an exit status,
``console`` guards the output streams, ``args`` parses option values, ``files``
decides where pictures go and writes them, and ``commands`` holds one parser
function and one handler per command.
"""
