"""A one-page HTML report for a coaching session (``followsync report -o report.html``).

:func:`render` turns a :class:`~followsync.summary.Summary` into one self-contained HTML
page: the figures, the funnel (applied -> interviewed -> offer), activity per week, and the
follow-up timeline of each application. The charts are drawn with matplotlib's Agg renderer
(no display needed) and embedded as base64 PNG, and the styles are inline, so the page opens
offline, from an email attachment, with no external CSS, script or font.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
from pathlib import Path
from typing import cast

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .files import atomic_write
from .summary import ActionLine, Summary, Timeline, percent

# Google Sheets' palette, as the tracker's status colours use it (RULES.md section 4).
INK = "#202124"
MUTED = "#5f6368"
BLUE = "#4285F4"
GREEN = "#34A853"
YELLOW = "#FBBC04"
RED = "#EA4335"
GREY = "#9AA0A6"
TIMELINE_STYLE = {  # kind -> (marker, colour, legend label)
    "applied": ("o", GREY, "Applied"),
    "interview": ("D", BLUE, "Interview"),
    "thank_you": ("^", GREEN, "Thank-you note"),
    "follow_up": ("s", YELLOW, "Follow-up"),
    "response": ("*", RED, "Response"),
    "rejection_reply": ("v", MUTED, "Rejection reply"),
    "note": (".", MUTED, "Other"),
}
MAX_TIMELINES = 12  # the most recently active applications; more would not fit one page
DPI = 110


def _png(fig: Figure) -> str:
    """A figure as a data: URL (no Software metadata, so the same figure gives the same bytes)."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=MUTED, labelsize=9)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#dadce0")


def funnel_chart(summary: Summary) -> str:
    """Applied -> Interviewed -> Offer as horizontal bars, each with its share of the first."""
    stages = list(summary.funnel.items())
    fig = Figure(figsize=(4.6, 2.4), layout="constrained")
    ax = fig.add_subplot()
    names = [name for name, _ in stages][::-1]
    values = [value for _, value in stages][::-1]
    ax.barh(names, values, color=[GREEN, BLUE, GREY][: len(values)], height=0.6)
    top = max(values + [1])
    first = stages[0][1] if stages else 0
    for y, value in enumerate(values):
        share = f" ({percent(value / first)})" if first and y < len(values) - 1 else ""
        ax.text(value + top * 0.02, y, f"{value}{share}", va="center", fontsize=10, color=INK)
    ax.set_xlim(0, top * 1.35)
    ax.set_title("Funnel", loc="left", fontsize=11, color=INK)
    ax.xaxis.set_visible(False)
    _style(ax)
    ax.spines["bottom"].set_visible(False)
    return _png(fig)


def activity_chart(summary: Summary) -> str:
    """Applications, interviews and messages sent per ISO week, as grouped bars."""
    fig = Figure(figsize=(6.4, 2.4), layout="constrained")
    ax = fig.add_subplot()
    weeks = summary.weeks
    xs = range(len(weeks))
    width = 0.27
    series = (
        ("Applications", [w.applications for w in weeks], GREY),
        ("Interviews", [w.interviews for w in weeks], BLUE),
        ("Messages sent", [w.messages for w in weeks], YELLOW),
    )
    for offset, (label, values, colour) in zip((-width, 0, width), series, strict=True):
        ax.bar([x + offset for x in xs], values, width, label=label, color=colour)
    ax.set_xticks(list(xs), [w.monday.strftime("%d %b") for w in weeks], rotation=0)
    if len(weeks) > 8:
        for k, tick in enumerate(ax.get_xticklabels()):
            tick.set_visible(k % 2 == (len(weeks) - 1) % 2)  # every other week, this week shown
    cast(MaxNLocator, ax.yaxis.get_major_locator()).set_params(integer=True)  # AutoLocator is one
    ax.set_title("Activity per week (week of)", loc="left", fontsize=11, color=INK)
    ax.legend(frameon=False, fontsize=8, ncols=3, loc="upper left")
    top = max([1] + [v for _, values, _ in series for v in values])
    ax.set_ylim(0, top * 1.35)
    _style(ax)
    return _png(fig)


def timeline_chart(timelines: list[Timeline], today: dt.date) -> str:
    """One line per application from its first to its latest event, a marker per event; the
    next action is a hollow circle at its due day, and a dashed line marks today."""
    height = 1.0 + 0.28 * max(len(timelines), 1)
    fig = Figure(figsize=(10, height), layout="constrained")
    ax = fig.add_subplot()
    shown = set()
    for y, line in enumerate(reversed(timelines)):
        days = [e.on for e in line.events]
        # matplotlib takes dates through its unit converters, which its stubs do not know.
        ax.plot([min(days), max(days)], [y, y], color="#dadce0", linewidth=2, zorder=1)  # type: ignore[arg-type]
        for e in line.events:
            if e.kind == "next":
                label = "Next action (due)" if "next" not in shown else None
                ax.scatter(
                    [e.on],  # type: ignore[arg-type]
                    [y],
                    s=46,
                    facecolors="none",
                    edgecolors=RED,
                    linewidths=1.5,
                    zorder=3,
                    label=label,
                )
                shown.add("next")
                continue
            marker, colour, name = TIMELINE_STYLE.get(e.kind, TIMELINE_STYLE["note"])
            label = name if e.kind not in shown else None
            shown.add(e.kind)
            ax.scatter(
                [e.on],  # type: ignore[arg-type]
                [y],
                marker=marker,
                s=60 if marker == "*" else 34,
                color=colour,
                zorder=2,
                label=label,
            )
    ax.set_yticks(range(len(timelines)), [_short(t) for t in reversed(timelines)], fontsize=9)
    ax.axvline(today, color=RED, linestyle="--", linewidth=1, alpha=0.6)  # type: ignore[arg-type]
    fig.legend(frameon=False, fontsize=8, ncols=8, loc="outside upper left")
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.grid(axis="x", color="#f1f3f4")
    _style(ax)
    return _png(fig)


def _short(t: Timeline) -> str:
    name = t.company or t.id
    text = f"{name} ({t.job_title})" if t.job_title else name
    return text if len(text) <= 38 else text[:36] + "..."


def pick_timelines(summary: Summary, limit: int = MAX_TIMELINES) -> list[Timeline]:
    """The applications whose timeline the report shows: those with an interview first, then
    by latest activity (most recent first), at most ``limit``; shown in that order."""
    with_events = [t for t in summary.timelines if t.events]

    def key(t: Timeline):
        interviewed = any(e.kind == "interview" for e in t.events)
        return (not interviewed, -(t.last_activity or dt.date.min).toordinal(), t.row)

    return sorted(with_events, key=key)[:limit]


# --------------------------------------------------------------------------------------
# The page

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f8f9fa;color:#202124;font:14px/1.4 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 28px;background:#fff}
h1{font-size:22px;margin:0}
h2{font-size:15px;margin:18px 0 6px;color:#202124}
.sub{color:#5f6368;margin:2px 0 14px}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:10px}
.card{border:1px solid #dadce0;border-radius:8px;padding:10px 12px}
.card b{display:block;font-size:24px}
.card span{color:#5f6368;font-size:12px}
.card.alert{border-color:#EA4335;background:#fce8e6}
.row{display:flex;gap:16px;align-items:flex-start}
.row>div{flex:1;min-width:0}
img{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{color:#5f6368;font-weight:600}
td.n{text-align:right}
tr.overdue td{background:#F4CCCC}
.none{color:#5f6368;font-style:italic}
footer{color:#5f6368;font-size:12px;margin-top:16px}
@media print{body{background:#fff}main{padding:0}@page{size:A4;margin:12mm}}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _date(day: dt.date) -> str:
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b')}"


def _card(value: object, label: str, alert: bool = False) -> str:
    cls = "card alert" if alert else "card"
    return f'<div class="{cls}"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def _actions(lines: tuple[ActionLine, ...], empty: str, overdue: bool) -> str:
    if not lines:
        return f'<p class="none">{_e(empty)}</p>'
    head = "<tr><th>Due</th><th>Company</th><th>Job title</th><th>Next action</th><th>Row</th></tr>"
    body = "".join(
        f'<tr class="{"overdue" if overdue else ""}"><td>{_e(_date(a.due))}'
        + (f" ({a.days_overdue} d late)" if overdue else "")
        + f"</td><td>{_e(a.company)}</td><td>{_e(a.job_title)}</td><td>{_e(a.next_action)}</td>"
        f'<td class="n">{a.row}</td></tr>'
        for a in lines
    )
    return f"<table>{head}{body}</table>"


def _cards(s: Summary) -> str:
    """The figures at the top, one card each."""
    share = percent(s.thank_you_share)
    return "".join(
        (
            _card(s.applications, "applications"),
            _card(s.interviews_this_month, f"interviews this month ({s.interviews_ahead} ahead)"),
            _card(share, f"thank-you notes within 24 h ({s.thank_you_on_time} of {s.thank_you_expected})"),
            _card(s.follow_ups_sent, "follow-ups sent"),
            _card(len(s.overdue), "overdue actions", alert=bool(s.overdue)),
            _card(s.offers, "offers"),
        )
    )


def _status_table(s: Summary) -> str:
    status_rows = "".join(f'<tr><td>{_e(k)}</td><td class="n">{v}</td></tr>' for k, v in s.by_status.items())
    return f"<table><tr><th>Status</th><th>Applications</th></tr>{status_rows}</table>"


def _rates(s: Summary) -> str:
    """The response rate after each number of follow-ups."""
    if not s.response_rates:
        return '<p class="none">No interviews yet.</p>'
    rate_rows = "".join(
        f"<tr><td>{'thank-you only' if r.follow_ups == 0 else r.follow_ups}</td>"
        f'<td class="n">{r.applications}</td><td class="n">{r.responded}</td>'
        f'<td class="n">{percent(r.rate)}</td></tr>'
        for r in s.response_rates
    )
    return (
        "<table><tr><th>Follow-ups sent</th><th>Applications</th><th>Answered</th><th>Rate</th></tr>"
        f"{rate_rows}</table>"
    )


def _timeline(s: Summary) -> str:
    timelines = pick_timelines(s)
    return (
        f'<img alt="Follow-up timeline per application" src="{timeline_chart(timelines, s.today)}">'
        if timelines
        else '<p class="none">No applications yet.</p>'
    )


def render(summary: Summary, *, title: str, now: dt.datetime) -> str:
    """The report as one self-contained HTML page (charts embedded, no network needed)."""
    s = summary
    cards = _cards(s)
    status_table = _status_table(s)
    rates = _rates(s)
    timeline = _timeline(s)
    stamp = now.strftime("%d %b %Y, %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{_e(title)}</h1>
<p class="sub">Coaching report for {_e(_date(s.today))} {s.today.year} &middot; {s.applications} applications</p>
<div class="cards">{cards}</div>
<div class="row">
<div><img alt="Funnel: applied, interviewed, offer" src="{funnel_chart(s)}"></div>
<div style="flex:1.4"><img alt="Applications, interviews and messages per week" src="{activity_chart(s)}"></div>
</div>
<div class="row">
<div><h2>Applications by status</h2>{status_table}</div>
<div><h2>Response rate after each follow-up</h2>{rates}</div>
</div>
<div class="row">
<div><h2>Overdue</h2>{_actions(s.overdue, "Nothing overdue.", True)}</div>
<div><h2>Due in the next 7 days</h2>{_actions(s.due_this_week, "Nothing due this week.", False)}</div>
</div>
<h2>Timeline</h2>
{timeline}
<footer>Made by followsync on {_e(stamp)}. Thank-you notes count when sent within 24 hours of the interview. The response rate is, of the interviewed applications with that many follow-ups sent, the share that got an answer since the interview.</footer>
</main>
</body>
</html>
"""


def write(path: str | os.PathLike, summary: Summary, *, title: str, now: dt.datetime) -> Path:
    """Render the report and write it to ``path`` atomically; returns the path."""
    path = Path(path)
    atomic_write(path, render(summary, title=title, now=now).encode("utf-8"))
    return path
