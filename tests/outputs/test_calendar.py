"""The .ics file: what Google Calendar's and Outlook's importers need, stable UIDs, quiet reruns."""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd
from icalendar import Calendar

from followsync import run as sync
from followsync.config import Config
from followsync.core import cells as core_cells
from followsync.core import rules, schema
from followsync.outputs import calendar as ics
from followsync.outputs import summary

from ..conftest import NOW, day, tracker_of
from ..varied import LATER, assert_same, varied_rows

ACME = {
    "ID": "acme-7k2",
    "Company": "Acme",
    "Job title": "Marketing Manager",
    "Interview at": dt.datetime.combine(day(-1), dt.time(14, 0)),
    "Interviewer": "Ms. Jane Jones",
}
BOLT = {
    "ID": "bolt-1a2",
    "Company": "Bolt",
    "Job title": "Analyst",
    "Interview at": day(-20),
    "Thank-you sent": day(-19),
    "Follow-ups sent": 1,
    "Last follow-up": day(-6),
}
CLOSED = {
    "ID": "cl-000",
    "Company": "Closed Co",
    "Interview at": day(-30),
    "Status": "Rejected",
    "Rejection reply sent": day(-20),
}
APPLIED = {"ID": "ap-111", "Company": "Just Applied", "Applied on": day(-2)}


def computed_of(tracker: schema.Tracker, now: dt.datetime = NOW) -> pd.DataFrame:
    """followsync's columns as sync.compute names them, drafts made up, from the plan alone."""
    plan = rules.plan(tracker.frame, now)
    out = pd.DataFrame(index=tracker.frame.index)
    out["ID"] = tracker.frame["id"]
    out["Next action"] = plan["next_action"]
    out["Due"] = plan["due"]
    out["Reminder"] = plan["reminder"]
    out["Draft subject"] = [
        f"Subject for {c}" if a else ""
        for c, a in zip(tracker.frame["company"], plan["next_action"], strict=True)
    ]
    out["Draft message"] = [
        f"Dear team at {c},\nthank you.\n\nBest regards,\nAlex" if a else ""
        for c, a in zip(tracker.frame["company"], plan["next_action"], strict=True)
    ]
    return out


def items(rows, now=NOW, name="Alex"):
    t = tracker_of(rows)
    return ics.items_from(name, t.frame, computed_of(t, now))


def events(data: bytes) -> list:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_one_event_per_due_action_with_title_description_and_alarm():
    found = items([ACME, BOLT, CLOSED, APPLIED])
    assert [(i.id, i.next_action) for i in found] == [
        ("acme-7k2", "Send thank-you note"),
        ("bolt-1a2", "Send a friendly reminder"),
    ]
    by_company = {str(e["summary"]).split(": ")[1]: e for e in events(ics.build(found, NOW))}
    acme, bolt = by_company["Acme (Marketing Manager)"], by_company["Bolt (Analyst)"]
    assert str(acme["summary"]) == "Thank-you note: Acme (Marketing Manager)"
    assert str(bolt["summary"]) == "Friendly reminder: Bolt (Analyst)"
    assert acme.decoded("dtstart") == day(0) and acme.decoded("dtend") == day(1)
    description = str(acme["description"])
    # The Reminder without its 'Due today: ' lead, then the draft, then where the row is.
    assert description.startswith("Email Ms. Jane Jones a thank-you note for the interview")
    assert "Subject: Subject for Acme" in description and "Dear team at Acme,\nthank you." in description
    assert "row ID acme-7k2 (sheet row 2)" in description
    (alarm,) = acme.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == dt.timedelta(hours=9)  # 09:00 on the (floating) day
    assert alarm["trigger"].params.get("RELATED", "START") == "START"
    assert str(acme["transp"]) == "TRANSPARENT"


def test_meets_google_and_outlook_import_rules():
    data = ics.build(items([ACME, BOLT]), NOW)
    text = data.decode("utf-8")
    # One calendar, PRODID and VERSION 2.0 at its top.
    assert text.count("BEGIN:VCALENDAR") == 1 and text.count("END:VCALENDAR") == 1
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\r\nVERSION:2.0\r\n" in text and "\r\nPRODID:-//followsync//followsync//EN\r\n" in text
    # CRLF everywhere, no line over 75 octets (long ones folded), and folding that unfolds.
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert any(line.startswith(b" ") for line in data.split(b"\r\n"))  # the descriptions were folded
    # Every event: UID, DTSTAMP in UTC, all-day DATE start and end.
    blocks = re.findall(r"BEGIN:VEVENT\r\n(.*?)END:VEVENT", text, re.S)
    assert len(blocks) == 2
    for block in blocks:
        assert re.search(r"^UID:[0-9a-f]{24}@followsync\r$", block, re.M)
        assert re.search(r"^DTSTAMP:20261125T080000Z\r$", block, re.M)  # 09:00 Berlin is 08:00 UTC
        assert re.search(r"^DTSTART;VALUE=DATE:\d{8}\r$", block, re.M)
        assert re.search(r"^DTEND;VALUE=DATE:\d{8}\r$", block, re.M)
    # It parses back to the same bytes.
    cal = Calendar.from_ical(data)
    assert cal.to_ical() == data
    assert str(cal["version"]) == "2.0"
    for event in cal.walk("VEVENT"):
        assert isinstance(event.decoded("dtstart"), dt.date) and not isinstance(
            event.decoded("dtstart"), dt.datetime
        )


def test_uids_are_stable_across_runs_and_distinct_per_tracker_row_and_action():
    today = {str(e["uid"]) for e in events(ics.build(items([ACME, BOLT]), NOW))}
    later = NOW + dt.timedelta(hours=5)  # a later run the same day: same actions
    again = {str(e["uid"]) for e in events(ics.build(items([BOLT, ACME], later), later))}
    assert today == again and len(today) == 2
    other_tracker = {str(e["uid"]) for e in events(ics.build(items([ACME, BOLT], name="Sam"), NOW))}
    assert today.isdisjoint(other_tracker)
    assert ics.event_uid("Alex", "acme-7k2", "Follow up") != ics.event_uid(
        "Alex", "acme-7k2", "Send thank-you note"
    )


def test_a_done_action_disappears_and_the_next_one_appears(tmp_path):
    path = tmp_path / "followups.ics"
    assert ics.write(path, items([ACME, BOLT]), NOW)
    thank_you_uid = ics.event_uid("Alex", "acme-7k2", "Send thank-you note")
    assert thank_you_uid in {str(e["uid"]) for e in events(path.read_bytes())}
    # The thank-you note was sent: Acme's next action becomes the first follow-up.
    assert ics.write(path, items([{**ACME, "Thank-you sent": day(0)}, BOLT]), NOW)
    uids = {str(e["uid"]) for e in events(path.read_bytes())}
    assert thank_you_uid not in uids
    assert ics.event_uid("Alex", "acme-7k2", "Follow up") in uids
    # Bolt got an answer: its event goes, and the calendar is left with one event.
    assert ics.write(
        path, items([{**ACME, "Thank-you sent": day(0)}, {**BOLT, "Response on": day(0)}]), NOW
    )
    assert [str(e["summary"]) for e in events(path.read_bytes())] == ["Follow up: Acme (Marketing Manager)"]


def test_unchanged_content_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "followups.ics"
    assert ics.write(path, items([ACME, BOLT]), NOW) is True
    before = path.read_bytes()
    os.utime(path, (1_000_000_000, 1_000_000_000))
    # A later run: DTSTAMP would differ, nothing else does.
    later = NOW + dt.timedelta(hours=3)
    assert ics.write(path, items([ACME, BOLT], later), later) is False
    assert path.read_bytes() == before
    assert path.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["followups.ics"]  # no temporary file left


def test_a_moved_event_keeps_its_uid_and_raises_its_sequence(tmp_path):
    path = tmp_path / "followups.ics"
    ics.write(path, items([BOLT]), NOW)
    (first,) = events(path.read_bytes())
    assert int(first.get("sequence", 0)) == 0
    # The last follow-up was a day later than written: the reminder moves, same UID.
    assert ics.write(path, items([{**BOLT, "Last follow-up": day(-5)}]), NOW)
    (moved,) = events(path.read_bytes())
    assert str(moved["uid"]) == str(first["uid"])
    assert moved.decoded("dtstart") == first.decoded("dtstart") + dt.timedelta(days=1)
    assert int(moved["sequence"]) == 1
    # Another run with the same content keeps sequence 1 and the file as it is.
    assert not ics.write(path, items([{**BOLT, "Last follow-up": day(-5)}]), NOW + dt.timedelta(hours=1))
    assert int(events(path.read_bytes())[0]["sequence"]) == 1


def test_an_empty_calendar_is_still_a_valid_one(tmp_path):
    data = ics.build(items([CLOSED, APPLIED]), NOW)
    cal = Calendar.from_ical(data)
    assert list(cal.walk("VEVENT")) == [] and str(cal["prodid"]) == ics.PRODID


def test_items_from_a_computed_run_use_the_ids_sync_gives_blank_rows():
    t = tracker_of([{**ACME, "ID": None}, BOLT])
    computed = sync.compute(t, NOW, Config())
    found = ics.items_from("Alex", t.frame, computed)
    assert len(found) == 2
    new_id = found[0].id
    assert new_id.startswith("acme-") and found[0].row == 2
    assert found[0].draft_subject  # sync's drafts travel into the event
    assert ics.timeless("Overdue by 3 days (was due Mon 23 Nov): call Sam.") == "Call Sam."


def _reference_items_from(tracker, frame, computed):
    """items_from as it was before it read the columns as lists (for speed): the reference."""
    computed = summary.cells_of(computed)
    cell_text = core_cells.text
    out = []
    for i in range(len(frame)):
        action = cell_text(computed["Next action"].iat[i])
        due = computed["Due"].iat[i]
        if not action or due is None or pd.isna(due):
            continue
        out.append(
            ics.CalendarItem(
                tracker=tracker,
                id=cell_text(computed["ID"].iat[i]),
                company=cell_text(frame["company"].iat[i]),
                job_title=cell_text(frame["job_title"].iat[i]),
                next_action=action,
                due=pd.Timestamp(due).date(),
                reminder=cell_text(computed["Reminder"].iat[i]),
                draft_subject=cell_text(computed["Draft subject"].iat[i])
                if "Draft subject" in computed
                else "",
                draft_message=cell_text(computed["Draft message"].iat[i])
                if "Draft message" in computed
                else "",
                row=int(frame["_row"].iat[i]),
            )
        )
    return out


def test_items_from_varied_rows_are_what_the_per_row_version_made():
    t = tracker_of(varied_rows())
    for now in (NOW, LATER):
        computed = sync.compute(t, now, Config())
        cells = computed.cells
        # Also: no draft columns, a Due column of plain dates, None and NaT (object dtype), and
        # padded text, numbers, None and NaN in the text columns.
        loose = cells.drop(columns=["Draft subject", "Draft message"])
        loose["Due"] = pd.Series(
            [None if k % 3 else d for k, d in enumerate(cells["Due"].dt.date)], dtype=object
        )
        loose["ID"] = pd.Series(
            [[None, 17, f" {i} ", i][k % 4] for k, i in enumerate(cells["ID"])], dtype=object
        )
        loose["Next action"] = [f" {a} " if k % 2 else a for k, a in enumerate(cells["Next action"])]
        loose["Reminder"] = [float("nan") if k % 5 == 0 else f"{r} " for k, r in enumerate(cells["Reminder"])]
        for given in (computed, cells, computed_of(t, now), loose):
            assert_same(ics.items_from("Alex", t.frame, given), _reference_items_from("Alex", t.frame, given))
    empty = tracker_of([])
    assert ics.items_from("Alex", empty.frame, computed_of(empty)) == []


def test_an_overdue_action_is_on_today_and_says_it_is_overdue():
    (bolt,) = items([BOLT])  # the follow-up was due on day(1); three days later it is overdue
    later = NOW + dt.timedelta(days=4)
    assert bolt.due == day(1)
    (event,) = events(ics.build([bolt], later))
    assert event.decoded("dtstart") == later.date()
    assert event.decoded("dtend") == later.date() + dt.timedelta(days=1)
    assert "overdue since" in str(event["summary"]) and bolt.title in str(event["summary"])
    (on_time,) = events(ics.build([bolt], NOW))
    assert on_time.decoded("dtstart") == day(1) and "overdue" not in str(on_time["summary"])


def test_each_interview_ahead_is_a_timed_event_with_its_own_stable_uid():
    ahead = {**ACME, "ID": "next-1", "Interview at": dt.datetime.combine(day(2), dt.time(14, 30))}
    other = {**ahead, "ID": "next-2", "Company": "Other"}
    past = {**ACME}  # yesterday's interview: no event of its own
    t = tracker_of([ahead, other, past])
    found = ics.items_from("Alex", t.frame, computed_of(t), NOW)
    interviews = [i for i in found if i.at is not None]
    assert [i.id for i in interviews] == ["next-1", "next-2"]
    evs = {str(e["uid"]): e for e in events(ics.build(found, NOW))}
    timed = [e for e in evs.values() if isinstance(e.decoded("dtstart"), dt.datetime)]
    assert len(timed) == 2
    start = timed[0].decoded("dtstart")
    assert start == dt.datetime.combine(day(2), dt.time(14, 30), tzinfo=NOW.tzinfo)
    assert timed[0].decoded("dtend") - start == dt.timedelta(hours=1)
    assert str(timed[0]["summary"]).startswith("Interview: ")
    uids = {str(e["uid"]) for e in timed}
    assert len(uids) == 2 and not uids & {i.uid for i in found if i.at is None}
    again = ics.items_from("Alex", t.frame, computed_of(t), NOW + dt.timedelta(hours=1))
    assert {i.uid for i in again if i.at is not None} == uids  # stable run after run
