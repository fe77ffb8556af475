"""Command-line tools of the engine (``python -m runtime ...``)."""
