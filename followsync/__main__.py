"""``python -m followsync``: the same program as the ``followsync`` command."""

from followsync.cli import main

if __name__ == "__main__":
    main(prog_name="followsync")
