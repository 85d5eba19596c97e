"""The ``followsync`` command: each command opens, calls one library function, reports.

Exit codes:
  0  done
  1  done, but some rows have Problems
  2  usage or config error
  3  the tracker could not be read or written (or another run holds it)
  4  done, but the digest mail could not be sent
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from . import __version__, runs
from . import config as config_mod
from . import run as sync
from .errors import EXIT_OK, EXIT_PROBLEMS, EXIT_TRACKER, FollowsyncError, NotifyError, UsageError

EXIT_CODES_HELP = """\b
Exit codes:
  0  done
  1  done, but some rows have Problems
  2  usage or config error
  3  the tracker could not be read or written
  4  done, but the digest mail could not be sent"""


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
        help="The tracker: an .xlsx path, a Google Sheets URL or key, airtable:BASE/TABLE, "
        "or the name of one of [[trackers]] (default: the config's).",
    )(f)
    return f


def logging_options(f):
    f = click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Append log lines to this file.")(f)
    f = click.option("-v", "--verbose", count=True, help="Log what happens to stderr (-vv for more).")(f)
    return f


def setup_logging(verbose: int, log_file: Path | None) -> None:
    """Log lines name trackers, rows and counts; never a credential or a message body."""
    if not verbose and not log_file:
        return
    level = logging.DEBUG if verbose > 1 else logging.INFO
    try:
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    except OSError as e:
        raise UsageError(f"Cannot write the log file {log_file}: {e.strerror or e}.") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("followsync")
    logger.setLevel(level)
    logger.addHandler(handler)


@main.command(epilog=EXIT_CODES_HELP)
@tracker_options
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something is due today or overdue, or is wrong (for cron).")
@click.option(
    "--force", is_flag=True,
    help="Write even where followsync would refuse: an .xlsx with charts (the backup is kept), "
    "or a run that would rewrite most of its cells.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (shape documented in README).")
@logging_options
@click.pass_context
def run(ctx, location, config_path, now_text, dry_run, quiet, force, as_json, verbose, log_file):
    """Compute every row's next action and write it into the tracker(s).

    With several trackers in followsync.toml ([[trackers]]), runs them all: one failing does
    not stop the others, and the exit code is the worst of them.
    """
    setup_logging(verbose, log_file)
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    specs = runs.targets(cfg, location)
    out = _console(ctx)
    if len(specs) > 1 and out.is_terminal and not as_json:
        from rich.progress import Progress

        with Progress(console=out, transient=True) as bar:
            task = bar.add_task("Running trackers", total=len(specs))
            outcomes = runs.run_all(specs, cfg, now, dry_run=dry_run, force=force, progress=lambda _s: bar.advance(task))
    else:
        outcomes = runs.run_all(specs, cfg, now, dry_run=dry_run, force=force)
    code = runs.worst(outcomes)
    if not dry_run and cfg.calendar_path:
        try:
            runs.refresh_calendar(cfg.calendar_path, outcomes, now)
        except UsageError as e:  # the trackers are written; say so, and go on to the digest
            Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]followsync:[/] {escape(str(e))}")
            code = max(code, e.exit_code)
    if as_json:
        click.echo(json.dumps(runs.to_json(outcomes, now), indent=2))
    else:
        report_outcomes(out, outcomes, quiet=quiet)
    if not dry_run and cfg.notify is not None:
        digest = runs.plain(lambda c: report_outcomes(c, outcomes, quiet=True))
        try:
            runs.mail_digest(cfg, outcomes, digest, now)
        except NotifyError as e:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            err.print(f"[bold red]followsync:[/] the tracker was written, but the digest mail failed: {escape(e.message)}")
            if code < EXIT_TRACKER:  # a tracker that failed (3) says more than the mail (4)
                code = e.exit_code
    ctx.exit(code)


def report_outcomes(out: Console, outcomes, *, quiet: bool = False) -> None:
    """Each tracker's digest; a failed tracker's error in its place."""
    for o in outcomes:
        if o.error is not None:
            out.print(f"[bold red]{escape(o.spec.name)}:[/] {escape(o.error.message)}")
            if o.error.hint:
                out.print(escape(o.error.hint))
        elif o.result is not None:
            report_run(out, o.result, quiet=quiet)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="The .ics file to write (default: [calendar] path).")
@tracker_options
@click.pass_context
def calendar(ctx, output, location, config_path, now_text):
    """Write an iCalendar file with one all-day event per due action (read-only on the trackers)."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    path = output or cfg.calendar_path
    if path is None:
        raise UsageError("No calendar file given.", hint="Pass -o followups.ics, or set [calendar] path in followsync.toml.")
    outcomes = runs.run_all(runs.targets(cfg, location), cfg, now, dry_run=True)
    for o in outcomes:
        if o.error:
            raise o.error
    changed = runs.refresh_calendar(path, outcomes, now)
    items = runs.calendar_items(outcomes)
    _console(ctx).print(f"{escape(str(path))}: {len(items)} event{'s' if len(items) != 1 else ''}" + ("" if changed else " (unchanged)") + ".")


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"), show_default=True, help="The HTML file to write.")
@tracker_options
@click.pass_context
def report(ctx, output, location, config_path, now_text):
    """Write a one-page HTML report for a coaching session: figures, funnel, activity, timelines."""
    from .outputs import report as report_mod
    from .outputs import summary as summary_mod

    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    backend = runs.one(cfg, location)
    try:
        snapshot = backend.read()
        tracker = sync.read_tracker(snapshot, cfg)
        computed = sync.compute(tracker, now, cfg)
        try:
            rows = backend.read_sheet(sync.HISTORY_SHEET) or []
        except UsageError:
            rows = []  # a store without a History (yet): the report uses the tracker alone
    finally:
        backend.close()
    header = [str(h) for h in rows[0]] if rows else []
    history = [dict(zip(header, r, strict=False)) for r in rows[1:]]
    summary = summary_mod.compute(tracker.frame, computed.plan, computed.cells, now, history, thank_you_hours=cfg.rules.thank_you_hours)
    try:
        path = report_mod.write(output, summary, title=f"Job search: {backend.location}", now=now)
    except OSError as e:
        raise UsageError(f"Cannot write the report {output}: {e.strerror or e}.") from None
    _console(ctx).print(f"Wrote {escape(str(path))}.")


@main.command(epilog=EXIT_CODES_HELP)
@tracker_options
@click.pass_context
def check(ctx, location, config_path, now_text):
    """Validate the tracker without writing; list every Problem."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    backend = runs.one(cfg, location)
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
    from .core.cells import BadCell, parse_date

    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    try:
        on = parse_date(on_text, cfg.date_order) if on_text else None
    except BadCell as e:
        raise UsageError(f"--on {on_text!r}: {e}") from None
    if on is not None and on > now.date():
        raise UsageError(f"--on {on_text!r} is in the future; record a message once it is sent.")
    backend = runs.one(cfg, location)
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
    backend = runs.one(cfg, location)
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


@main.group()
def auth():
    """Sign in to a tracker's service once (Google Sheets as yourself)."""


@auth.command("google")
@click.option(
    "--client-secrets", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The OAuth client JSON (type Desktop app) downloaded from Google Cloud Console.",
)
@click.option("--token", type=click.Path(dir_okay=False, path_type=Path), help="Where to keep the token (default: the user config folder).")
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening a browser.")
@click.pass_context
def auth_google(ctx, client_secrets, token, no_browser):
    """Run Google's sign-in once and keep a refreshable token (readable by you only)."""
    from .backends.google.auth import authorize_user

    path = authorize_user(client_secrets, token, open_browser=not no_browser)
    _console(ctx).print(f"Signed in. The token is in {escape(str(path))}; `followsync run` uses it from now on.")


@main.command()
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["reader", "commenter", "writer"]), default="writer", show_default=True,
    help="What they may do: read, comment, or edit.",
)
@click.option("--message", help="A note for the invitation email.")
@tracker_options
@click.pass_context
def share(ctx, email, role, message, location, config_path, now_text):
    """Share the tracker with EMAIL (your career coach), where the store can (Google Sheets)."""
    cfg = config_mod.load(config_path)
    backend = runs.one(cfg, location)
    try:
        backend.share(email, role, message)
    finally:
        backend.close()
    _console(ctx).print(f"Shared {escape(backend.location)} with {escape(email)} as {role}.")


@main.command()
@click.argument("location")
@click.option("--demo", is_flag=True, help="Add a dozen example rows that show every rule.")
@click.option("--now", "now_text", metavar="ISO_DATETIME", help="Date the demo rows from this day (also $FOLLOWSYNC_NOW).")
@click.pass_context
def init(ctx, location, demo, now_text):
    """Create a new tracker at LOCATION, and a followsync.toml naming it.

    LOCATION is an .xlsx path, a Google Sheets URL (a blank worksheet of a sheet you made), or
    airtable:BASE_ID/TABLE. The tracker gets followsync's columns, header notes, drop-downs,
    date formats and a frozen header. init never overwrites an existing file or a worksheet
    with data, nor an existing followsync.toml.
    """
    from .core.layout import demo_rows
    from .core.layout import load as load_layout

    cfg = config_mod.load(None)  # for credentials; a new tracker needs nothing else from it
    now = sync.resolve_now(now_text, cfg.timezone)
    backend = runs.one(cfg, location)
    rows = demo_rows(now.date()) if demo else []
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
