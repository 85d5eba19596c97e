"""Shell completion (README "Shell completion"): ``--tracker`` completes the names of
``[[trackers]]``, an ID argument the row IDs of the tracker(s). Completion never fails: what
cannot be read offers nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from . import lazy
from .backends import open_backend
from .errors import FollowsyncError

if TYPE_CHECKING:
    from . import config as config_mod
    from . import run as sync
else:  # only when something is completed
    config_mod = lazy.module("followsync.config")
    sync = lazy.module("followsync.run")


def _completion_config(ctx: click.Context) -> config_mod.Config | None:
    try:
        return config_mod.load(ctx.params.get("config_path"))
    except FollowsyncError:
        return None


def complete_tracker(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    cfg = _completion_config(ctx)
    return [t.name for t in (cfg.targets() if cfg else []) if t.name.startswith(incomplete)]


def complete_row_id(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    cfg = _completion_config(ctx)
    if cfg is None:
        return []
    found: list[str] = []
    try:
        for spec in sync.targets(cfg, ctx.params.get("location")):
            with open_backend(spec.location, cfg, spec.worksheet) as backend:
                frame = sync.read_tracker(backend.read(), cfg).frame
            found += [str(i) for i in frame["id"].tolist() if i and str(i).lower().startswith(incomplete.lower())]
    except (FollowsyncError, OSError):
        pass
    return sorted(set(found))
