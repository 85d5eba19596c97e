"""followsync's columns for a read tracker: pure, a tracker and ``now`` in, cells out.

:func:`compute` plans every row (``rules.plan``), renders the drafts while keeping a
person's edits (:func:`keep_edits`, by the hashes in :class:`DraftState`), lints them, and
collects every Problem; :func:`digest` lists what is due.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from sys import intern
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
from anyascii import anyascii

from . import cells, draft_memo, drafts, lint, mailto, schema
from . import rules as rules_mod
from . import sends as sending
from .cells import is_blank
from .layout import load as load_layout

if TYPE_CHECKING:
    from ..config import Config


def new_id(company: str, salt: str, taken: set[str]) -> str:
    """A short, unique, readable ID like ``acme-7k2`` (stable for the same row and salt)."""
    ascii_ = anyascii(company).lower()  # Ørsted -> orsted, Société -> societe, 北京 -> beijing
    words = re.findall(r"[a-z0-9]+", ascii_)
    slug = words[0][:10] if words else "job"
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    for attempt in range(1000):
        digest = int(hashlib.sha1(f"{salt}|{attempt}".encode()).hexdigest(), 16)
        suffix = "".join(alphabet[(digest >> (6 * k)) % 36] for k in range(3))
        candidate = f"{slug}-{suffix}"
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate
    raise AssertionError("no free ID")  # 36**3 suffixes per company name


DRAFT_FIELDS = ("Draft subject", "Draft message", "LinkedIn note")


DRAFT_KEYS = ("draft_subject", "draft_message", "linkedin_note")


STATE_VERSION = "v2"
OLD_STATE_VERSION = "v1"  # still read, so no tracker loses its edits: it has no memo, so its row is rendered


class DraftState(NamedTuple):
    """What followsync wrote into a row last time: kept in the hidden Draft state column. (A
    named tuple: a run parses one per row, and a tuple is quicker made than a frozen dataclass,
    with no dict of its own.)

    ``hashes`` are of the three draft cells as followsync wrote them; a cell whose text no
    longer matches its hash was edited by a person, and is kept while ``action`` stays the same.
    ``memo`` (:mod:`.draft_memo`) says which inputs the drafts, their lint and the Mail link were
    made from, so that a run can take them from the sheet: "" when none can be, None in a v1 state.
    """

    action: str = ""
    status: str = ""
    hashes: tuple[str, str, str] = ("", "", "")
    memo: str | None = None

    @classmethod
    def parse(cls, text: Any) -> DraftState | None:
        parts = str(text).split("|") if isinstance(text, str) else []
        # The action and status repeat down a tracker: one string of each, not one per row.
        if len(parts) == 7 and parts[0] == STATE_VERSION:
            return cls(intern(parts[1]), intern(parts[2]), (parts[3], parts[4], parts[5]), parts[6])
        if len(parts) == 6 and parts[0] == OLD_STATE_VERSION:
            return cls(intern(parts[1]), intern(parts[2]), (parts[3], parts[4], parts[5]))
        return None

    def __str__(self) -> str:
        return "|".join((STATE_VERSION, self.action, self.status, *self.hashes, self.memo or ""))


def text_hash(text: Any) -> str:
    if is_blank(text):
        return ""
    return hashlib.sha1(str(text).replace("\r\n", "\n").strip().encode()).hexdigest()[:10]


@dataclass
class Computed:
    """What :func:`compute` returns: followsync's cells per row, and what it found."""

    cells: pd.DataFrame  # owned columns by name, plus "ID", "_colour", "_colour_name", "_rule"
    plan: pd.DataFrame
    problems: list[schema.Problem]
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duplicate_ids: frozenset[str] = frozenset()  # lower-cased IDs found on several rows


def repeated_ids(tracker: schema.Tracker) -> tuple[set[str], list[schema.Problem]]:
    """IDs on more than one row (a copied row, say): a Problem on each, naming the others."""
    rows_of: dict[str, list[int]] = {}
    # The columns as lists: iterating a Series costs a pandas step per value.
    idents, sheet_rows = tracker.frame["id"].tolist(), tracker.frame["_row"].tolist()
    for ident, row in zip(idents, sheet_rows, strict=True):
        if ident:
            rows_of.setdefault(str(ident).lower(), []).append(int(row))
    repeated = {k for k, rows in rows_of.items() if len(rows) > 1}
    problems = []
    for ident, row in zip(idents, sheet_rows, strict=True) if repeated else ():
        if ident and str(ident).lower() in repeated:
            others = ", ".join(str(r) for r in rows_of[str(ident).lower()] if r != row)
            problems.append(
                schema.Problem(
                    tracker.sheet,
                    int(row),
                    "ID",
                    f"ID {ident!r} is also on row {others}; followsync leaves these rows alone",
                    "clear the ID of the copy (followsync gives it a new one) or give it its own",
                    str(ident),
                )
            )
    return repeated, problems


def _draft_cell(
    mine: Any, wanted: str, old: DraftState | None, f: int, action: str, unknown: bool
) -> tuple[str, str, bool]:
    """One draft cell: the text to write, the hash Draft state keeps for it, and whether it was
    kept as the person's although its Draft state was lost (``unknown``)."""
    same_action = old is not None and old.action == action
    if same_action and type(mine) is str and mine == wanted and not is_blank(mine):
        # The cell holds what would be written (a no-op day): edited or not, it keeps its
        # recorded hash, with no hashing needed.
        assert old is not None  # same_action says so
        return wanted, old.hashes[f], False
    if same_action and wanted and not is_blank(mine):
        assert old is not None  # same_action says so
        if text_hash(mine) != old.hashes[f]:
            return str(mine), old.hashes[f], False  # edited by the person: kept
    if unknown and wanted and not is_blank(mine) and text_hash(mine) != text_hash(wanted):
        return str(mine), text_hash(wanted), True  # followsync's text hashed: theirs differs, so stays theirs
    return wanted, text_hash(wanted), False


def _hold(mine: tuple[Any, ...], wanted: tuple[str, ...]) -> bool:
    """Each draft cell as read holds the text it gets: the same text, or blank (None) for none."""
    for m, w in zip(mine, wanted, strict=True):  # a loop, not all() of a generator: one per row
        if (m != w) if type(m) is str else (m is not None or w != ""):
            return False
    return True


def keep_edits(
    frame: pd.DataFrame,
    plan: pd.DataFrame,
    generated: pd.DataFrame,
    kept: list[int] | None = None,
    last: list[DraftState | None] | None = None,
) -> tuple[dict[str, list[str]], list[str], list[tuple[int, str, str]]]:
    """The drafts to write, the new Draft state per row, and the Status changes a person made.

    A draft cell whose text differs from what followsync last wrote (its hash in Draft state)
    is the person's: it is kept while the row's Next action stays the same. A row whose Draft
    state is missing, blank or unreadable keeps every draft that differs from followsync's while
    its Next action in the sheet is the one computed (issue 20); its state is written again, and
    its frame position added to ``kept``. A row that can't be computed (its Problems first) keeps
    its cells and state as they are. ``last``: the Draft states already parsed, if they are.
    """
    kept = [] if kept is None else kept
    final = {name: generated[key].tolist() for name, key in zip(DRAFT_FIELDS, DRAFT_KEYS, strict=True)}
    states: list[str] = []
    changes: list[tuple[int, str, str]] = []
    actions, statuses = plan["next_action"].tolist(), plan["status"].tolist()
    stuck = (plan["rule"] == 0).tolist()
    status_cells = frame["status"].tolist()
    old_states = frame["draft_state"].tolist()
    sheet_actions = frame["next_action"].tolist()
    current = [frame[key].tolist() for key in DRAFT_KEYS]
    for i in range(len(frame)):
        if stuck[i]:
            for f, name in enumerate(DRAFT_FIELDS):
                final[name][i] = "" if is_blank(current[f][i]) else str(current[f][i])
            states.append("" if is_blank(old_states[i]) else old_states[i])
            continue
        action, status = actions[i], statuses[i]
        old = DraftState.parse(old_states[i]) if last is None else last[i]
        # Without its state followsync can't tell its own text from the person's: while the
        # Next action in the sheet is the one it computes, a draft that differs is theirs.
        unknown = old is None and not is_blank(sheet_actions[i]) and str(sheet_actions[i]).strip() == action
        mine, wanted = (current[0][i], current[1][i], current[2][i]), tuple(final[name][i] for name in DRAFT_FIELDS)
        if old is not None and old.action == action and _hold(mine, wanted):
            # Each cell holds the text it gets, under the same action (a no-op day's rows): what
            # _draft_cell gives each, its recorded hash (a blank cell has none), without its steps.
            hashes = [old.hashes[f] if text else "" for f, text in enumerate(wanted)]
        else:
            hashes = []
            for f, name in enumerate(DRAFT_FIELDS):
                text, digest_, theirs = _draft_cell(mine[f], final[name][i], old, f, action, unknown)
                final[name][i] = text
                hashes.append(digest_)
                if theirs and (not kept or kept[-1] != i):
                    kept.append(i)
        states.append("|".join((STATE_VERSION, action, status, *hashes, "")))  # str(DraftState(...)), no memo
        # A change the person made to Status (not one followsync inferred from the dates).
        if old is not None and old.status and old.status != status and status_cells[i]:
            changes.append((i, old.status, status))
    return final, states, changes


def compute(tracker: schema.Tracker, now: dt.datetime, config: Config) -> Computed:
    """followsync's columns for every row: the plan, the drafts (keeping a person's edits),
    lint, and every Problem (cells that did not parse, data that contradicts itself, possible
    duplicates, drafts that fail lint). ``ID`` holds a new ID where the row's was blank.
    """
    frame, implausible = rules_mod.implausible_dates(tracker.frame, now, tracker.sheet)
    plan = rules_mod.plan(frame, now, config.rules, config.language)
    repeated, id_problems = repeated_ids(tracker)
    problems = [*tracker.problems, *implausible, *id_problems, *rules_mod.check(frame, now, tracker.sheet)]
    problems += duplicates(tracker)
    ids = _ids(frame)

    # A row whose Draft state has a memo may take its drafts from the sheet (core/draft_memo.py).
    last = [DraftState.parse(s) for s in frame["draft_state"].tolist()]
    reuse = [(s.action, s.memo) if s is not None and s.memo else None for s in last]
    generated = drafts.render(frame, plan, now, config, reuse=reuse)
    too_long, reused = generated.attrs["rendered"].too_long, generated.attrs["rendered"].reused
    problems += _too_long(tracker.sheet, frame, too_long)
    unknown_state: list[int] = []
    final, states, status_changes = keep_edits(frame, plan, generated, unknown_state, last)
    history = _status_history(frame, ids, status_changes, repeated, now.date())

    out = pd.DataFrame(index=frame.index)
    out["ID"] = ids
    out["Next action"] = plan["next_action"]
    out["Due"] = plan["due"]
    out["Reminder"] = plan["reminder"]
    for name in DRAFT_FIELDS:
        out[name] = pd.Series(final[name], index=frame.index, dtype=object)

    drafts_df = pd.DataFrame(
        {key: final[name] for name, key in zip(DRAFT_FIELDS, DRAFT_KEYS, strict=True)}, index=frame.index
    )
    rows = frame["_row"].tolist()
    flagged = _lint(tracker, frame, plan, drafts_df, config, reused, ids, problems)

    links, link_rows = _mail_links(tracker, plan, final, ids, problems, reused)  # its Problems too
    out["Mail link"] = links
    flagged.update(i for i, row in enumerate(rows) if row in link_rows or too_long[i])
    memos = _memos(generated, final, links.tolist(), flagged, reused, last)
    states = _with_memos(states, frame["draft_state"].tolist(), last, memos, (plan["rule"] == 0).tolist())
    out["Problems"], out["Draft state"] = _problems_cells(problems, tracker.header.row, rows), states
    # The mailbox's cell: kept as it is; the run's inbox step (with [inbox]) fills it.
    out["Inbox"] = frame["inbox"].astype(object)
    colours = load_layout().colours
    out["_colour"] = pd.Series([colours.get(c) if c else None for c in plan["colour"].tolist()], index=out.index, dtype=object)
    out["_rule"] = plan["rule"]
    out["_colour_name"] = plan["colour"]
    notes = [_unknown_state_note(unknown_state, rows)] if unknown_state else []
    if config.profile.is_empty and any(final["Draft message"]):
        notes.append(
            "Drafts are signed without a name: fill in [profile] (name, email, phone) in followsync.toml."
        )
    return Computed(out, plan, problems, history, notes, frozenset(repeated))


def _lint(
    tracker: schema.Tracker,
    frame: pd.DataFrame,
    plan: pd.DataFrame,
    drafts_df: pd.DataFrame,
    config: Config,
    reused: list[bool],
    ids: list[str],
    problems: list[schema.Problem],
) -> set[int]:
    """Lint the drafts to be written, each finding a Problem added to ``problems``; the frame
    positions with findings. A reused row is not linted: its drafts are the ones linted without
    a finding for the same inputs (its memo, core/draft_memo.py)."""
    # Only rows with a text to lint: lint_frame skips the others, but not before making a record
    # of every row of the frame and the plan it is given.
    texts = [drafts_df[key].tolist() for key in DRAFT_KEYS]
    todo = [not r and any(cells.text(t[i]) for t in texts) for i, r in enumerate(reused)]
    rows = frame["_row"].tolist()
    flagged: set[int] = set()
    keys = [k for k in lint.ROW_KEYS if k in frame.columns]
    found = lint.lint_frame(frame[keys][todo], plan[todo], drafts_df[todo], config)
    for index, findings in found.items():
        i = frame.index.get_loc(index)
        flagged.add(i)
        for finding in findings:
            problems.append(schema.Problem(tracker.sheet, rows[i], None, finding, key=ids[i]))
    return flagged


def _mail_links(
    tracker: schema.Tracker,
    plan: pd.DataFrame,
    final: dict[str, list[str]],
    ids: list[str],
    problems: list[schema.Problem],
    reused: list[bool],
) -> tuple[pd.Series, set[int]]:
    """The Mail link of every row (core/mailto.py), its Problems added to ``problems``, and the
    sheet rows that got one; a row that can't be computed keeps its link as it is, like its
    drafts, and a reused row (draft_memo) its link, which its memo says is the one made."""
    current = tracker.frame["mail_link"].tolist()
    given = [draft_memo.as_written(current[i]) if r else None for i, r in enumerate(reused)]
    made, found = mailto.links(tracker, plan, final["Draft subject"], final["Draft message"], ids, given)
    problems += found
    stuck = (plan["rule"] == 0).tolist()
    kept = [
        ("" if is_blank(current[i]) else str(current[i])) if stuck[i] else made[i] for i in range(len(made))
    ]
    linked = {p.row for p in found if p.row is not None}
    return pd.Series(kept, index=tracker.frame.index, dtype=object), linked


def _memos(
    generated: pd.DataFrame,
    final: dict[str, list[str]],
    links: list[str],
    flagged: set[int],
    reused: list[bool],
    last: list[DraftState | None],
) -> list[str]:
    """Each row's memo for its Draft state (core/draft_memo.py): a reused row keeps its own; a
    rendered one gets one when what is written is followsync's own drafts (none kept as the
    person's) with nothing ``flagged`` (lint, a too-long input, a link without its body)."""
    rendered: draft_memo.Rendered = generated.attrs["rendered"]
    fingerprints = rendered.fingerprints
    made = [generated[key].tolist() for key in DRAFT_KEYS]
    out = []
    for i, fp in enumerate(fingerprints):
        old = last[i]
        if reused[i] and old is not None and old.memo:
            out.append(old.memo)
            continue
        texts = [final[name][i] for name in DRAFT_FIELDS]
        theirs = any(texts[f] != made[f][i] for f in range(3))  # a person's draft kept
        ok = fp is not None and not theirs and i not in flagged
        out.append(draft_memo.memo(fp, texts[0], texts[1], texts[2], links[i]) if ok and fp else "")
    return out


def _with_memos(
    states: list[str], raw: list[Any], last: list[DraftState | None], memos: list[str], stuck: list[bool]
) -> list[str]:
    """The Draft states with their memos (keep_edits writes the memo field empty: the state ends
    in "|"). A row that gets no memo today (a person's draft, a lint finding) and whose state is
    otherwise what it was (``raw``, as read) keeps the one it has: rewriting a hidden cell for
    that is a write for nothing, and the old memo can't match the edited cells. A row rendered
    again with a memo gets it, once, even when no text changed (an upgrade, a setting, an input
    the texts don't show): else its old memo would never match and it would be rendered on
    every run. A row that can't be computed keeps its state as it is (keep_edits)."""
    out = []
    for state, was, old, memo, as_is in zip(states, raw, last, memos, stuck, strict=True):
        if as_is:
            out.append(state)
        elif old is not None and old.memo and not memo and was == state + old.memo:
            out.append(was)
        else:
            new = state + memo
            out.append(was if new == was else new)  # the cell's own string, when equal: one less held
    return out


def _status_history(
    frame: pd.DataFrame, ids: list[str], changes: list[tuple[int, str, str]], repeated: set[str], on: dt.date
) -> list[dict[str, Any]]:
    """A History row for each Status a person changed. A row whose ID repeats (a copy) waits: its
    Draft state is not written while it does, so the change is noticed once, when it is fixed."""
    history = []
    for i, before, after in changes:
        if ids[i].lower() not in repeated:
            row = frame.iloc[i].to_dict()
            row["id"] = ids[i]
            history.append(sending.history_entry(row, on=on, what=f"Status: {before} -> {after}"))
    return history


def _unknown_state_note(kept: list[int], rows: list[int]) -> str:
    """The run's one sentence on drafts kept because their Draft state was gone (issue 20)."""
    shown = ", ".join(str(rows[i]) for i in kept[:10]) + (f" and {len(kept) - 10} more" if len(kept) > 10 else "")
    return (
        f"Draft state was missing or unreadable on row(s) {shown}, so followsync could not tell its own "
        "drafts there from yours: it kept the drafts as they are (linted) and wrote Draft state again."
    )


def _too_long(sheet: str, frame: pd.DataFrame, keys: list[str]) -> list[schema.Problem]:
    """A Problem on each input too long for its row's draft to fit a cell (drafts.CELL_CHARS)."""
    out = []
    for i, key in enumerate(keys):
        if key:
            n = len(str(frame[key].iat[i]))
            message = f"is {n:,} characters: too long for the draft to fit in a cell, so the draft is a short one"
            ident = frame["id"].iat[i] or None
            out.append(schema.Problem(sheet, int(frame["_row"].iat[i]), schema.BY_KEY[key].name, message, "shorten it", ident))
    return out


def _ids(frame: pd.DataFrame) -> list[str]:
    """Each row's ID: its own, or a new one where it was blank."""
    taken = {str(v).lower() for v in frame["id"] if v}
    ids = []
    for cid, company, job, row in zip(
        frame["id"], frame["company"], frame["job_title"], frame["_row"], strict=True
    ):
        ids.append(cid or new_id(company or "", f"{company}|{job}|{row}", taken))
    return ids


def _problems_cells(problems: list[schema.Problem], header_row: int, rows: list[int]) -> list[str]:
    """The Problems cell of each data row (by sheet row): its Problems' short texts."""
    by_row: dict[int, list[str]] = {}
    for p in problems:
        if p.row is not None and p.row > header_row + 1:
            by_row.setdefault(p.row, []).append(p.short())
    return ["; ".join(by_row.get(r, [])) for r in rows]


def duplicates(tracker: schema.Tracker) -> list[schema.Problem]:
    """Rows whose Company and Job title repeat an earlier row's, unless Notes say otherwise."""
    frame = tracker.frame
    seen: dict[tuple[str, str], int] = {}
    out = []
    # normalize_header once per distinct name: it is pure, and names repeat down a tracker
    normal: dict[str, str] = {}

    def norm(name: str) -> str:
        if name not in normal:
            normal[name] = cells.normalize_header(name)
        return normal[name]

    # The columns as lists: iterating a Series costs a pandas step per value.
    columns = (frame[k].tolist() for k in ("company", "job_title", "notes", "_row", "id"))
    for company, job, notes, row, ident in zip(*columns, strict=True):
        if not company or not job:
            continue
        key = (norm(str(company)), norm(str(job)))
        if key in seen and not re.search(
            r"duplicate|second application|re-?appl|another (role|opening)", notes or "", re.I
        ):
            out.append(
                schema.Problem(
                    tracker.sheet,
                    int(row),
                    "Company",
                    f"possible duplicate of row {seen[key]} (same Company and Job title)",
                    "merge the two rows, or write 'not a duplicate' in Notes",
                    ident or None,
                )
            )
        seen.setdefault(key, int(row))
    return out


@dataclass
class DueItem:
    """One line of the digest."""

    row: int
    id: str
    company: str
    job_title: str
    next_action: str
    due: dt.date | None
    urgency: str
    reminder: str
    subject: str = ""  # the row's Draft subject, as written
    message: str = ""  # its Draft message, ready to paste


def digest(tracker: schema.Tracker, computed: pd.DataFrame) -> list[DueItem]:
    """What is due: overdue first, then today, then soon; earliest first within each."""
    frame = tracker.frame
    # Each column is read once into a list: per-row pandas access is slow.
    urgencies = computed["_colour_name"].tolist()
    listed = [urgency in ("overdue", "today", "soon") for urgency in urgencies]
    due = computed["Due"]
    missing = due.isna().tolist()
    if due.dtype.kind == "M":
        days = due.dt.date.tolist()
    else:
        days = [
            pd.Timestamp(d).date() if wanted and not gone else None
            for d, wanted, gone in zip(due.tolist(), listed, missing, strict=True)
        ]
    rows, ids = frame["_row"].tolist(), computed["ID"].tolist()
    company, job = frame["company"].tolist(), frame["job_title"].tolist()
    actions, reminders = computed["Next action"].tolist(), computed["Reminder"].tolist()
    # Only the listed rows' drafts are read as text.
    picked = [i for i, wanted in enumerate(listed) if wanted]
    subjects, messages = (_draft_texts(computed, name, picked) for name in ("Draft subject", "Draft message"))
    items = [
        DueItem(
            row=int(rows[i]),
            id=str(ids[i]),
            company=company[i] or "",
            job_title=job[i] or "",
            next_action=actions[i],
            due=None if missing[i] else days[i],
            urgency=urgencies[i],
            reminder=reminders[i],
            subject=subject,
            message=message,
        )
        for i, subject, message in zip(picked, subjects, messages, strict=True)
    ]
    order = {"overdue": 0, "today": 1, "soon": 2}
    return sorted(items, key=lambda d: (order[d.urgency], d.due or dt.date.max, d.row))


def _draft_texts(computed: pd.DataFrame, name: str, picked: list[int]) -> list[str]:
    """The text of column ``name`` at the positions ``picked`` ("" without the column)."""
    if name not in computed:
        return [""] * len(picked)
    values = computed[name].tolist()
    return [cells.text(values[i]) for i in picked]
