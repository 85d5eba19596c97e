"""The ``followsync`` command: each command opens, calls one library function, reports.

The exit codes below are appended from :data:`followsync.errors.EXIT_CODES`, their only copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__, lazy
from ..completion import complete_row_id, complete_tracker
from ..errors import (
    EXIT_OK,
    EXIT_TRACKER,
    FollowsyncError,
    NotifyError,
    UsageError,
    exit_codes_text,
)

# What the commands compute with (pandas and the rest), and even rich and the config, are
# imported when a command first uses them, so `followsync --help`, `--version`, `schedule` and
# `templates` start light (issue 17; tests/cli/test_startup.py pins it).
if TYPE_CHECKING:
    from rich.console import Console
    from rich.markup import escape

    from .. import config as config_mod
    from .. import run as sync
    from ..backends import open_backend
    from ..outputs import calendar as calendar_mod
    from ..outputs import digest
    from ..outputs import mail as mail_mod
    from ..outputs import today as today_mod
    from ..terminal import Console as _Console
    from ..terminal import err_console as _err_console
    from ..terminal import quiet_stdout as _quiet_stdout
else:
    Console = lazy.function("rich.console", "Console")
    escape = lazy.function("rich.markup", "escape")
    config_mod = lazy.module("followsync.config")
    sync = lazy.module("followsync.run")
    open_backend = lazy.function("followsync.backends", "open_backend")
    calendar_mod = lazy.module("followsync.outputs.calendar")
    digest = lazy.module("followsync.outputs.digest")
    mail_mod = lazy.module("followsync.outputs.mail")
    today_mod = lazy.module("followsync.outputs.today")
    _Console = lazy.function("followsync.terminal", "Console")
    _err_console = lazy.function("followsync.terminal", "err_console")
    _quiet_stdout = lazy.function("followsync.terminal", "quiet_stdout")

__doc__ = f"{__doc__}\n{exit_codes_text()}\n"
EXIT_CODES_HELP = "\b\n" + exit_codes_text(width=76)  # click indents an epilog by 2


class FollowsyncGroup(click.Group):
    """Turns every :class:`FollowsyncError` into its message and exit code (no traceback)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _degrade_output()
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FollowsyncError as e:
            _print_error(e)
            ctx.exit(e.exit_code)
        except BrokenPipeError:  # `followsync run | head -1`: the reader has what it wanted
            _quiet_stdout()
            ctx.exit(EXIT_OK)


def _degrade_output() -> None:
    """On a terminal that cannot show a character (PYTHONIOENCODING=ascii, a C locale under
    cron), print a replacement character instead of failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="replace")


def _print_error(e: FollowsyncError, lead: str = "", *, hint: bool = True) -> None:
    """A followsync error on stderr: its sentence (after ``lead``), then its hint."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(f"[bold red]followsync:[/] {escape(lead)}{escape(e.message)}")
    if hint and e.hint:
        err.print(escape(e.hint))


def _console(ctx: click.Context) -> Console:
    return ctx.obj["console"]


CONTEXT = {"help_option_names": ["-h", "--help"]}


@click.group(cls=FollowsyncGroup, epilog=EXIT_CODES_HELP, context_settings=CONTEXT)
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
    ctx.obj.setdefault("console", _Console(highlight=False, soft_wrap=True))


def tracker_options(f):
    f = click.option(
        "--now",
        "now_text",
        metavar="ISO_DATETIME",
        help="Fix the clock (also $FOLLOWSYNC_NOW), e.g. 2026-11-25T09:00.",
    )(f)
    f = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Config file (default: $FOLLOWSYNC_CONFIG, ./followsync.toml, then the user config folder).",
    )(f)
    f = click.option(
        "--tracker",
        "location",
        metavar="LOCATION",
        help="The tracker: an .xlsx path, a Google Sheets URL or key, airtable:BASE/TABLE, "
        "or the name of one of [[trackers]] (default: the config's).",
        shell_complete=complete_tracker,
    )(f)
    return f


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (shapes in README).")(f)


def logging_options(f):
    f = click.option(
        "--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Append log lines to this file."
    )(f)
    f = click.option("-v", "--verbose", count=True, help="Log what happens to stderr (-vv for more).")(f)
    return f


def setup_logging(verbose: int, log_file: Path | None) -> None:
    """Log lines name trackers, rows and counts; never a credential or a message body."""
    if not verbose and not log_file:
        return
    level = logging.DEBUG if verbose > 1 else logging.INFO
    try:
        handler: logging.Handler = (
            logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
        )
    except OSError as e:
        raise UsageError(f"Cannot write the log file {log_file}: {e.strerror or e}.") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("followsync")
    logger.setLevel(level)
    logger.addHandler(handler)


@main.command(epilog=EXIT_CODES_HELP)
@tracker_options
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print nothing unless something is due today or overdue, or is wrong (for cron).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write even where followsync would refuse: an .xlsx with charts (the backup is kept), "
    "or a run that would rewrite most of its cells.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON (shape documented in README)."
)
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
    specs = sync.targets(cfg, location)
    out = _console(ctx)
    if len(specs) > 1 and out.is_terminal and not as_json:
        from rich.progress import Progress

        with Progress(console=out, transient=True) as bar:
            task = bar.add_task("Running trackers", total=len(specs))
            outcomes = sync.run_all(
                specs, cfg, now, dry_run=dry_run, force=force, progress=lambda _s: bar.advance(task)
            )
    else:
        outcomes = sync.run_all(specs, cfg, now, dry_run=dry_run, force=force)
    code = sync.worst(outcomes)
    if not dry_run and cfg.calendar_path:
        try:
            calendar_mod.refresh_calendar(cfg.calendar_path, outcomes, now)
        except UsageError as e:  # the trackers are written; say so, and go on to the digest
            _print_error(e)
            code = max(code, e.exit_code)
    if as_json:
        click.echo(json.dumps(digest.to_json(outcomes, now), indent=2))
    else:
        digest.report_outcomes(out, outcomes, quiet=quiet, err=_err_console(out))
    if not dry_run and cfg.notify is not None:
        try:
            mail_mod.mail_digest(cfg, outcomes, now)
        except NotifyError as e:
            _print_error(e, "the tracker was written, but the digest mail failed: ", hint=False)
            if code < EXIT_TRACKER:  # a tracker that failed (3) says more than the mail (4)
                code = e.exit_code
    ctx.exit(code)


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .ics file to write (default: [calendar] path).",
)
@tracker_options
@json_option
@click.pass_context
def calendar(ctx, output, location, config_path, now_text, as_json):
    """Write an iCalendar file: one event per due action (an overdue one on today), and each
    interview ahead at its time (read-only on the trackers)."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    path = output or cfg.calendar_path
    if path is None:
        raise UsageError(
            "No calendar file given.",
            hint="Pass -o followups.ics, or set [calendar] path in followsync.toml.",
        )
    outcomes = sync.run_all(sync.targets(cfg, location), cfg, now, dry_run=True)
    for o in outcomes:
        if o.error:
            raise o.error
    changed = calendar_mod.refresh_calendar(path, outcomes, now)
    items = calendar_mod.calendar_items(outcomes)
    if as_json:
        click.echo(json.dumps(today_mod.calendar_json(str(path), items, changed, now.date()), indent=2))
        return
    _console(ctx).print(
        f"{escape(str(path))}: {len(items)} event{'s' if len(items) != 1 else ''}"
        + ("" if changed else " (unchanged)")
        + "."
    )


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write.",
)
@tracker_options
@click.pass_context
def report(ctx, output, location, config_path, now_text):
    """Write a one-page HTML report for a coaching session: figures, funnel, activity, timelines."""
    from ..outputs import report as report_mod  # matplotlib: only for this command

    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    specs = sync.targets(cfg, location)
    for spec in specs:  # several trackers: one report each, report-NAME.html
        target = output if len(specs) == 1 else output.with_name(f"{output.stem}-{spec.name}{output.suffix}")
        tcfg = sync.for_tracker(cfg, spec)
        with open_backend(spec.location, tcfg, spec.worksheet) as backend:
            summary = sync.summarise(backend, tcfg, now)
        heading = today_mod.title(cfg.profile.name, spec.name, backend.location)
        try:
            path = report_mod.write(target, summary, title=heading, now=now)
        except OSError as e:
            raise UsageError(f"Cannot write the report {target}: {e.strerror or e}.") from None
        _console(ctx).print(f"Wrote {escape(str(path))}.")


@main.command(epilog=EXIT_CODES_HELP)
@tracker_options
@json_option
@click.pass_context
def check(ctx, location, config_path, now_text, as_json):
    """Validate the tracker(s) without writing; list every Problem."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    specs = sync.targets(cfg, location)
    checked = sync.check_all(specs, cfg, now)
    code = EXIT_OK
    for c in checked:
        if c.error is not None:
            if len(specs) == 1 and not as_json:
                raise c.error
            _print_error(c.error, f"{c.name}: ")
        code = max(code, c.exit_code)
    if as_json:
        click.echo(json.dumps(today_mod.check_json(checked), indent=2))
        ctx.exit(code)
    out = _console(ctx)
    for c in checked:
        if c.error is not None:
            continue
        if not c.problems:
            out.print(f"{escape(c.location)}: {c.rows} rows, no problems.")
            continue
        out.print(f"{escape(c.location)}: {len(c.problems)} problem{'s' if len(c.problems) != 1 else ''}:")
        for p in c.problems:
            out.print(f"  {escape(str(p))}")
    if cfg.inbox is not None:  # what the next run's inbox step would write, tracker by tracker
        for spec in specs:
            with open_backend(spec.location, sync.for_tracker(cfg, spec), spec.worksheet) as backend:
                code = max(code, _check_inbox(out, backend, cfg, now))
    ctx.exit(code)


def _check_inbox(out: Console, backend, cfg, now) -> int:
    """``check``'s inbox part: what the next run's inbox step would write, message by message."""
    try:
        findings = sync.inbox_findings(backend, cfg, now)
    except FollowsyncError as e:
        _print_error(e, "the mailbox: ")
        return e.exit_code
    lines = findings.lines()
    out.print(f"Inbox: {'the next run would write:' if lines else 'nothing new in the mailbox.'}")
    for line in lines:
        out.print(f"  {escape(line)}")
    return EXIT_OK


@main.command(epilog=EXIT_CODES_HELP)
@click.option("--explain", "row_id", metavar="ID", required=True,
              help="The row to explain: why the mailbox's messages matched it or did not.")
@tracker_options
@click.pass_context
def inbox(ctx, row_id, location, config_path, now_text):
    """Say why a row matched mail in the [inbox] mailbox, or did not (reads it all, writes nothing)."""
    from ..inbox import explain

    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    with sync.one(cfg, location) as backend:
        findings = sync.inbox_findings(backend, cfg, now, full=True)
    out = _console(ctx)
    for line in explain(findings, row_id):
        out.print(escape(line))


@main.command(epilog=EXIT_CODES_HELP)
@tracker_options
@json_option
@click.pass_context
def today(ctx, location, config_path, now_text, as_json):
    """What now: a table of what is overdue, due today and soon, with each draft's subject, per
    tracker (read-only on the trackers). `followsync show ID` prints a draft."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    outcomes = sync.run_all(sync.targets(cfg, location), cfg, now, dry_run=True)
    if as_json:
        click.echo(json.dumps(digest.to_json(outcomes, now), indent=2))
    else:
        out = _console(ctx)
        today_mod.print_today(out, outcomes, cfg.profile.name, err=_err_console(out))
    ctx.exit(max(o.error.exit_code if o.error else EXIT_OK for o in outcomes))


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("row_id", metavar="ID", shell_complete=complete_row_id)
@tracker_options
@click.pass_context
def show(ctx, row_id, location, config_path, now_text):
    """Print row ID's current draft (subject, message, LinkedIn note), ready to paste."""
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    with sync.one(cfg, location) as backend:
        draft = sync.draft_of(backend, cfg, now, row_id)
    today_mod.print_draft(_console(ctx), draft)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("row_id", metavar="ID", shell_complete=complete_row_id)
@click.option(
    "--medium",
    type=click.Choice(["email", "phone", "linkedin", "other"], case_sensitive=False),
    help="How you sent it (default: the medium the draft was for).",
)
@click.option(
    "--on", "on_text", metavar="DATE", help="The day you sent it (default: today), e.g. 2026-11-25, yesterday, fri."
)
@tracker_options
@click.pass_context
def sent(ctx, row_id, medium, on_text, location, config_path, now_text):
    """Record that you sent the next message of row ID, then recompute the tracker.

    Sets Thank-you sent, or Follow-ups sent + 1 and Last follow-up, or Rejection reply sent,
    and Last medium; adds the message to the History worksheet.
    """
    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    on = sync.resolve_on("--on", on_text, now, cfg.date_order)
    cfg = sync.configured(cfg, location)
    with sync.one(cfg, location) as backend:
        result = sync.run(backend, cfg, now, sends={row_id: sync.Send(medium, on)})
    out = _console(ctx)
    for entry in result.history:
        if str(entry.get("ID", "")).lower() == row_id.lower():
            out.print(f"Recorded for {escape(row_id)}: {escape(str(entry.get('What happened', '')))}.")
    digest.report_run(out, result, quiet=True)
    ctx.exit(result.exit_code)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("row_id", metavar="ID", shell_complete=complete_row_id)
@click.option(
    "--status",
    metavar="STATUS",
    help="The Status the answer gives the row: Rejected, Next round, Offer... (any case, or its start: rej).",
)
@click.option(
    "--on", "on_text", metavar="DATE", help="The day they answered (default: today), e.g. 2026-11-25, yesterday, fri."
)
@tracker_options
@click.pass_context
def replied(ctx, row_id, status, on_text, location, config_path, now_text):
    """Record that row ID got an answer, then recompute the tracker, as `sent` does.

    Sets Response on (and Status, with --status); adds the answer to the History worksheet.
    """
    from ..core.sends import status_choice

    cfg = config_mod.load(config_path)
    now = sync.resolve_now(now_text, cfg.timezone)
    on = sync.resolve_on("--on", on_text, now, cfg.date_order)
    chosen = status_choice(status) if status else None
    with sync.one(cfg, location) as backend:
        result = sync.run(backend, cfg, now, sends={row_id: sync.Send(on=on, reply=True, status=chosen)})
    out = _console(ctx)
    for entry in result.history:
        if str(entry.get("ID", "")).lower() == row_id.lower():
            out.print(f"Recorded for {escape(row_id)}: {escape(str(entry.get('What happened', '')))}.")
    digest.report_run(out, result, quiet=True)
    ctx.exit(result.exit_code)


@main.command()
@click.argument("row_id", metavar="ID", shell_complete=complete_row_id)
@tracker_options
@json_option
@click.pass_context
def history(ctx, row_id, location, config_path, now_text, as_json):
    """Print the dated timeline of one application (the History worksheet)."""
    cfg = config_mod.load(config_path)
    with sync.one(cfg, location) as backend:
        mine = sync.history_of(backend, row_id)
    if as_json:
        click.echo(json.dumps(today_mod.history_json(row_id, mine), indent=2))
        return
    out = _console(ctx)
    if not mine:
        out.print(
            f"No history for {escape(row_id)} yet: it grows as you record sends (`followsync sent {escape(row_id)}`)."
        )
        return
    for e in mine:
        when = e.get("Date")
        when = (
            when.date().isoformat()
            if isinstance(when, dt.datetime)
            else (when.isoformat() if isinstance(when, dt.date) else str(when or ""))
        )
        medium = f" ({e['Medium']})" if e.get("Medium") else ""
        out.print(f"{when}  {escape(str(e.get('What happened') or ''))}{escape(medium)}")
        if e.get("Message"):
            for line in str(e["Message"]).splitlines():
                out.print(f"    {escape(line)}")


# The commands that set followsync up (schedule, auth, share, init, import, templates) live in
# .setup; importing it registers them on `main`.
from . import setup  # noqa: E402, F401
