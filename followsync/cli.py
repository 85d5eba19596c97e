"""The ``followsync`` command: each command opens, calls one library function, reports.

Exit codes:
  0  done
  1  done, but some rows have Problems
  2  usage or config error
  3  the tracker could not be read or written (or another run holds it)
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from . import __version__, sync
from . import config as config_mod
from .backends import open_backend
from .errors import EXIT_OK, EXIT_PROBLEMS, FollowsyncError, UsageError

EXIT_CODES_HELP = """\b
Exit codes:
  0  done
  1  done, but some rows have Problems
  2  usage or config error
  3  the tracker could not be read or written"""


class FollowsyncGroup(click.Group):
    """Turns every :class:`FollowsyncError` into its message and exit code (no traceback)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FollowsyncError as e:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            err.print(f"[bold red]followsync:[/] {escape(e.message)}")
            if e.hint:
                err.print(escape(e.hint))
            ctx.exit(e.exit_code)


def _console(ctx: click.Context) -> Console:
    return ctx.obj["console"]


@click.group(cls=FollowsyncGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="followsync")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Keep your job-application tracker following up for you.

    followsync reads your tracker (an .xlsx file, a Google Sheet or an Airtable base), works
    out each application's next step and due date, colours the row by urgency, and writes
    reminders into its own columns, never touching what you wrote.

    Start with `followsync init tracker.xlsx --demo`, then `followsync run`.
    """
    ctx.ensure_object(dict)
    ctx.obj.setdefault("console", Console(highlight=False, soft_wrap=True))


def tracker_options(f):
    f = click.option("--now", "now_text", metavar="ISO_DATETIME", help="Fix the clock (also $FOLLOWSYNC_NOW), e.g. 2026-11-25T09:00.")(f)
    f = click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        help="Config file (default: $FOLLOWSYNC_CONFIG, ./followsync.toml, then the user config folder).",
    )(f)
    f = click.option(
        "--tracker", "location", metavar="LOCATION",
        help="The tracker: an .xlsx path (default: [tracker] location in the config).",
    )(f)
    return f


@main.command(epilog=EXIT_CODES_HELP)
@tracker_options
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something is due today or overdue, or is wrong (for cron).")
@click.option("--force", is_flag=True, help="Write even where followsync would refuse (an .xlsx with charts; the backup is kept).")
@click.pass_context
def run(ctx, location, config_path, now_text, dry_run, quiet, force):
    """Compute every row's next action and write it into the tracker."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    backend = open_backend(location, cfg)
    try:
        result = sync.run(backend, cfg, now, dry_run=dry_run, force=force)
    finally:
        backend.close()
    report_run(_console(ctx), result, quiet=quiet)
    ctx.exit(result.exit_code)


@main.command(epilog=EXIT_CODES_HELP)
@tracker_options
@click.pass_context
def check(ctx, location, config_path, now_text):
    """Validate the tracker without writing; list every Problem."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    backend = open_backend(location, cfg)
    try:
        tracker, problems = sync.check(backend, cfg, now)
    finally:
        backend.close()
    out = _console(ctx)
    if not problems:
        out.print(f"{escape(backend.location)}: {len(tracker.frame)} rows, no problems.")
        ctx.exit(EXIT_OK)
    out.print(f"{escape(backend.location)}: {len(problems)} problem{'s' if len(problems) != 1 else ''}:")
    for p in problems:
        out.print(f"  {escape(str(p))}")
    ctx.exit(EXIT_PROBLEMS)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("row_id", metavar="ID")
@click.option(
    "--medium", type=click.Choice(["email", "phone", "linkedin", "other"], case_sensitive=False),
    help="How you sent it (default: the medium the draft was for).",
)
@click.option("--on", "on_text", metavar="DATE", help="The day you sent it (default: today), e.g. 2026-11-25.")
@tracker_options
@click.pass_context
def sent(ctx, row_id, medium, on_text, location, config_path, now_text):
    """Record that you sent the next message of row ID, then recompute the tracker.

    Sets Thank-you sent, or Follow-ups sent + 1 and Last follow-up, or Rejection reply sent,
    and Last medium; adds the message to the History worksheet.
    """
    from .schema import BadCell, parse_date

    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    try:
        on = parse_date(on_text, cfg.date_order) if on_text else None
    except BadCell as e:
        raise UsageError(f"--on {on_text!r}: {e}") from None
    backend = open_backend(location, cfg)
    try:
        result = sync.run(backend, cfg, now, sends={row_id: sync.Send(medium, on)})
    finally:
        backend.close()
    out = _console(ctx)
    for entry in result.history:
        if str(entry.get("ID", "")).lower() == row_id.lower():
            out.print(f"Recorded for {escape(row_id)}: {escape(str(entry.get('What happened', '')))}.")
    report_run(out, result, quiet=True)
    ctx.exit(result.exit_code)


@main.command()
@click.argument("row_id", metavar="ID")
@tracker_options
@click.pass_context
def history(ctx, row_id, location, config_path, now_text):
    """Print the dated timeline of one application (the History worksheet)."""
    cfg = config_mod.load(config_path)
    backend = open_backend(location, cfg)
    try:
        rows = backend.read_sheet(sync.HISTORY_SHEET) or []
    finally:
        backend.close()
    out = _console(ctx)
    header = [str(h) for h in rows[0]] if rows else []
    entries = [dict(zip(header, r, strict=False)) for r in rows[1:]]
    mine = [e for e in entries if str(e.get("ID") or "").lower() == row_id.lower()]
    if not mine:
        out.print(f"No history for {escape(row_id)} yet: it grows as you record sends (`followsync sent {escape(row_id)}`).")
        return
    for e in mine:
        when = e.get("Date")
        when = when.date().isoformat() if isinstance(when, dt.datetime) else (when.isoformat() if isinstance(when, dt.date) else str(when or ""))
        medium = f" ({e['Medium']})" if e.get("Medium") else ""
        out.print(f"{when}  {escape(str(e.get('What happened') or ''))}{escape(medium)}")
        if e.get("Message"):
            for line in str(e["Message"]).splitlines():
                out.print(f"    {escape(line)}")


@main.command()
@click.argument("location")
@click.option("--demo", is_flag=True, help="Add a dozen example rows that show every rule.")
@click.option("--now", "now_text", metavar="ISO_DATETIME", help="Date the demo rows from this day (also $FOLLOWSYNC_NOW).")
@click.pass_context
def init(ctx, location, demo, now_text):
    """Create a new tracker at LOCATION (an .xlsx path), and a followsync.toml naming it.

    The tracker gets followsync's columns, header notes, drop-downs, date formats and a frozen
    header. init never overwrites an existing file, nor an existing followsync.toml.
    """
    from . import demo as demo_mod
    from .layout import load as load_layout

    cfg = config_mod.Config()
    now = sync.resolve_now(now_text, None)
    backend = open_backend(location, cfg)
    rows = demo_mod.rows(now.date()) if demo else []
    backend.create(load_layout(), rows)
    out = _console(ctx)
    out.print(f"Created {escape(location)}" + (f" with {len(rows)} demo rows." if demo else "."))
    toml = Path.cwd() / config_mod.CONFIG_NAME
    if toml.exists():
        out.print(f"Kept the existing {toml.name}; set [tracker] location there to use the new tracker.")
    else:
        toml.write_text(config_mod.starter_toml(location), encoding="utf-8")
        out.print(f"Wrote {toml.name}: fill in \\[profile] so drafts are signed with your name.")
    out.print("Next: followsync run")


# --------------------------------------------------------------------------------------
# Reporting


URGENCY_STYLE = {"overdue": "bold red", "today": "bold dark_orange", "soon": "yellow"}
URGENCY_TITLE = {"overdue": "Overdue", "today": "Due today", "soon": "Due soon"}


def report_run(out: Console, result: sync.RunResult, *, quiet: bool = False) -> None:
    """The digest: what changed, what is due (overdue, today, soon), and the problems."""
    pressing = [d for d in result.due if d.urgency in ("overdue", "today")]
    if quiet and not pressing and not result.problems and not (result.applied and result.applied.skipped):
        return
    where = f"{escape(result.location)} ({escape(result.sheet)})"
    n_cells = len(result.changes.cells) + len(result.changes.fills)
    if result.dry_run:
        out.print(f"{where}: {result.rows} rows; would change {n_cells} cells (dry run, nothing written).")
        for ch in result.changes.cells:
            label = ch.row.id or f"sheet row {ch.row.index + 1}"
            out.print(f"  {escape(label)}: {escape(ch.column)} -> {escape(_show(ch.value))}")
    else:
        changed = f"updated {n_cells} cells" if result.changes else "nothing to update"
        out.print(f"{where}: {result.rows} rows, {changed}.")
    if result.applied:
        for msg in result.applied.skipped:
            out.print(f"[yellow]Skipped:[/] {escape(msg)}")
    shown = pressing if quiet else result.due
    width = max((len(d.id) for d in shown), default=0)
    for urgency in ("overdue", "today", "soon"):
        items = [d for d in shown if d.urgency == urgency]
        if not items:
            continue
        out.print(f"[{URGENCY_STYLE[urgency]}]{URGENCY_TITLE[urgency]}[/]")
        for d in items:
            out.print(f"  {escape(d.id.ljust(width))}  {escape(d.reminder)}")
    if not quiet and not result.due:
        out.print("Nothing due in the next days.")
    if result.problems:
        out.print(f"[magenta]{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}[/] (run `followsync check` for fixes):")
        for p in result.problems[:20]:
            out.print(f"  {escape(str(p))}")
        if len(result.problems) > 20:
            out.print(f"  ... and {len(result.problems) - 20} more")
    for note in result.notes:
        out.print(escape(note))


def _show(value) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "..."


def entry() -> None:  # pragma: no cover - console script shim
    main(obj={})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
