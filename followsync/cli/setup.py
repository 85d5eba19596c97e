"""The commands that set followsync up: a daily schedule, signing in, sharing, a new tracker
(``init``, ``import``) and the message templates. Registered on :data:`followsync.cli.main`."""

from __future__ import annotations

from pathlib import Path

import click

from .. import schedule as schedule_mod
from ..errors import UsageError
from . import _console, config_mod, escape, main, sync, tracker_options


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The config the schedule runs with (default: the one followsync finds from here).",
)
@click.option("--at", "at", default="08:00", show_default=True, metavar="HH:MM", help="The time of day to run.")
@click.option("--install", is_flag=True, help="Install it for the current user (again: changes nothing).")
@click.option(
    "--with",
    "kind",
    type=click.Choice(schedule_mod.KINDS),
    help="What --install uses (default: launchd on macOS, Task Scheduler on Windows, systemd, else cron).",
)
@click.pass_context
def schedule(ctx, config_path, at, install, kind):
    """Print a daily schedule of `followsync run` (cron, systemd, launchd, Windows), or --install it.

    Every form names followsync and the config by absolute path, so it works under cron's bare
    PATH; the systemd timer and launchd run a day missed while the computer slept on waking.
    """
    path = config_path or config_mod.default_path()
    if path is None or not Path(path).is_file():
        raise UsageError(
            "No followsync.toml to schedule" + (f" at {path}." if path else "."),
            hint="Run it from the folder of your followsync.toml, or pass --config PATH.",
        )
    plan = schedule_mod.Schedule.of(Path(path), at)
    out = _console(ctx)
    if not install:
        click.echo(schedule_mod.schedules(plan))
        return
    for line in schedule_mod.install(plan, kind or schedule_mod.default_kind()):
        out.print(escape(line))


@main.group()
def auth():
    """Sign in to a tracker's service once (Google Sheets as yourself)."""


@auth.command("google")
@click.option(
    "--client-secrets",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The OAuth client JSON (type Desktop app) downloaded from Google Cloud Console.",
)
@click.option(
    "--token",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to keep the token (default: the user config folder).",
)
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening a browser.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="followsync.toml; with [inbox] auth = \"google\", the sign-in also allows reading mail.")
@click.pass_context
def auth_google(ctx, client_secrets, token, no_browser, config_path):
    """Run Google's sign-in once and keep a refreshable token (readable by you only)."""
    from ..backends.google.auth import MAIL_SCOPE, SCOPES, authorize_user

    cfg = config_mod.load(config_path)
    mail = cfg.inbox is not None and cfg.inbox.auth == "google"
    scopes = (*SCOPES, MAIL_SCOPE) if mail else SCOPES
    path = authorize_user(client_secrets, token, open_browser=not no_browser, scopes=scopes)
    also = " and [inbox] reads your mail with it" if mail else ""
    _console(ctx).print(
        f"Signed in. The token is in {escape(str(path))}; `followsync run` uses it from now on{also}."
    )


@main.command()
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["reader", "commenter", "writer"]),
    default="writer",
    show_default=True,
    help="What they may do: read, comment, or edit.",
)
@click.option("--message", help="A note for the invitation email.")
@tracker_options
@click.pass_context
def share(ctx, email, role, message, location, config_path, now_text):
    """Share the tracker with EMAIL (your career coach), where the store can (Google Sheets)."""
    cfg = config_mod.load(config_path)
    with sync.one(cfg, location) as backend:
        backend.share(email, role, message)
    _console(ctx).print(f"Shared {escape(backend.location)} with {escape(email)} as {role}.")


@main.command()
@click.argument("location")
@click.option("--demo", is_flag=True, help="Add a dozen example rows that show every rule.")
@click.option(
    "--now",
    "now_text",
    metavar="ISO_DATETIME",
    help="Date the demo rows from this day (also $FOLLOWSYNC_NOW).",
)
@click.pass_context
def init(ctx, location, demo, now_text):
    """Create a new tracker at LOCATION, and a followsync.toml naming it.

    LOCATION is an .xlsx path, a Google Sheets URL (a blank worksheet of a sheet you made), or
    airtable:BASE_ID/TABLE. The tracker gets followsync's columns, header notes, drop-downs,
    date formats and a frozen header. init never overwrites an existing file or a worksheet
    with data, nor an existing followsync.toml.
    """
    from ..creating import init_tracker

    cfg = config_mod.load(None)  # for credentials; a new tracker needs nothing else from it
    now = sync.resolve_now(now_text, cfg.timezone)
    _made(ctx, init_tracker(location, cfg, now, demo), location)


def _made(ctx: click.Context, made, location: str) -> None:
    """What init and import made, and the followsync.toml that names it (never overwritten)."""
    out = _console(ctx)
    for line in made.lines:
        out.print(escape(line))
    toml = Path.cwd() / config_mod.CONFIG_NAME
    if toml.exists():
        out.print(f"Kept the existing {toml.name}; set [tracker] location there to use the new tracker.")
    else:
        toml.write_text(config_mod.starter_toml(location), encoding="utf-8")
        out.print(f"Wrote {toml.name}: fill in \\[profile] so drafts are signed with your name.")
    out.print("Next: followsync run")


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "location", required=True, metavar="LOCATION",
              help="The new tracker: an .xlsx path, a Google Sheets URL, or airtable:BASE_ID/TABLE.")
@click.option("--now", "now_text", metavar="ISO_DATETIME", help="The day of the import (also $FOLLOWSYNC_NOW).")
@click.pass_context
def import_(ctx, file, location, now_text):
    """Make a tracker at LOCATION from the list in FILE (.csv, .xlsx, .xls or .ods), and a
    followsync.toml naming it.

    Headers are matched as a tracker's are (Company Name, Position, Date Applied... and
    [columns] in followsync.toml); other columns are kept as your own. A row whose interview
    was days ago is not asked for a late thank-you (its Notes say so). Nothing is overwritten.
    """
    from ..importing import import_list

    cfg = config_mod.load(None)
    now = sync.resolve_now(now_text, cfg.timezone)
    _made(ctx, import_list(file, location, cfg, now), location)


@main.group()
def templates():
    """The message templates: the shipped set, and which of them your templates_dir overrides."""


@templates.command("list")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: $FOLLOWSYNC_CONFIG, ./followsync.toml, then the user config folder).",
)
@click.pass_context
def templates_list(ctx, config_path):
    """List the shipped message templates and mark the ones your templates_dir overrides."""
    from .. import templates as templates_mod

    cfg = config_mod.load(config_path)
    out = _console(ctx)
    for t in templates_mod.listing(cfg.templates_dir):
        mine = f"  (yours: {escape(str(t.overridden_by))})" if t.overridden_by else ""
        out.print(f"{escape(t.name)}{mine}")
    if cfg.templates_dir is None:
        out.print(
            "No templates_dir is set: every message uses the shipped template. "
            "`followsync templates export DIR` copies them out to edit."
        )


@templates.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.argument("name", required=False)
@click.option(
    "--language",
    type=click.Choice(["en", "de", "fr", "es"]),
    default="en",
    show_default=True,
    help="Which shipped set: English, German, French or Spanish.",
)
@click.pass_context
def templates_export(ctx, folder, name, language):
    """Copy the shipped templates (or the one NAMEd, e.g. thank_you) into FOLDER, to edit.

    Nothing is overwritten: a file already in FOLDER stops the export.
    """
    from .. import templates as templates_mod

    written = templates_mod.export(folder, name, language)
    out = _console(ctx)
    for path in written:
        out.print(f"Copied {escape(str(path))}")
    out.print("Now put this line in followsync.toml (above any [section]), then edit the copies:")
    out.print(f'templates_dir = "{escape(folder.resolve().as_posix())}"')
