"""``python -m followsync.cli``: the form that schedules made by `followsync schedule` run."""

from followsync.cli import main

if __name__ == "__main__":
    main(prog_name="followsync")
