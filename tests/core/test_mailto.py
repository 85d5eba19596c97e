"""The Mail link: a mailto: URL that reads back to the same To, Subject and Body (issue 13)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, unquote, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from followsync.config import Config
from followsync.core import compute, mailto, schema

NOW = dt.datetime(2026, 11, 25, 9, 0)


def read_back(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    assert parts.scheme == "mailto"
    return unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)


def test_encoding_round_trips_and_line_breaks_are_crlf():
    subject = "Thank you & next steps: 100% = Q&A? #1 + more"
    body = "Dear Ms. Jöns,\n\nThank you! Café at 10:00 = great.\nBest regards,\nAlex"
    made = mailto.link("jane.o'neil+jobs@acme.example", subject, body)
    assert not made.without_body
    to, query = read_back(made.url)
    assert to == "jane.o'neil+jobs@acme.example"
    assert query == {"subject": [subject], "body": [body.replace("\n", "\r\n")]}
    assert "%0D%0A" in made.url and "\n" not in made.url and " " not in made.url


@given(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1, max_size=80
    ),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1, max_size=300),
)
def test_any_subject_and_body_read_back_the_same(subject, body):
    to, query = read_back(mailto.link("jo@x.example", subject, body, limit=10**6).url)
    assert to == "jo@x.example"
    assert query["subject"] == [subject] and query["body"] == [body.replace("\n", "\r\n")]


def test_a_link_too_long_leaves_the_body_out_and_problems_say_so():
    made = mailto.link("jane@acme.example", "Thank you", "word " * 500)
    assert made.without_body and len(made.url) <= mailto.MAX_CHARS and made.full_length > mailto.MAX_CHARS
    assert read_back(made.url)[1] == {"subject": ["Thank you"]}


def test_compute_links_a_draft_too_long_without_its_body_and_says_so(monkeypatch):
    monkeypatch.setattr(mailto, "MAX_CHARS", 400)  # the demo-sized draft makes a link of ~1,000
    grid = [
        ["ID", "Company", "Job title", "Status", "Interview at", "Interviewer", "Interviewer email"],
        ["a-1", "Acme", "Engineer", "Interviewed", "2026-11-24", "Ms. Jane Jones", "jane@acme.example"],
    ]
    out = compute.compute(schema.frame(grid, "Tracker"), NOW, Config())
    link = out.cells["Mail link"].iat[0]
    assert link.startswith("mailto:jane@acme.example?subject=") and "body=" not in link
    problems = out.cells["Problems"].iat[0]
    assert "Mail link: the draft makes a link of" in problems and "without its body" in problems
    assert "copy the text of Draft message" in problems


def test_only_email_drafts_get_a_link_to_the_right_address():
    grid = [
        [
            "ID",
            "Company",
            "Job title",
            "Status",
            "Interview at",
            "Interviewer",
            "Interviewer email",
            "Other contact",
        ],
        ["a-1", "Acme", "Engineer", "Interviewed", "2026-11-24", "Ms. Jane Jones", "jane@acme.example", None],
        ["b-2", "Beta", "Analyst", "Applied", None, None, None, None],
    ]
    out = compute.compute(schema.frame(grid, "Tracker"), NOW, Config())
    links = out.cells["Mail link"].tolist()
    assert links[0].startswith("mailto:jane@acme.example?subject=") and links[1] == ""
    assert mailto._address("Ana Ruiz <ana@acme.example>") == "ana@acme.example"


@given(st.text(), st.sampled_from(["", "@"]))
def test_the_link_s_percent_encoding_is_urllib_s(text, safe):
    from urllib.parse import quote

    table = mailto._QUOTED_ADDRESS if safe else mailto._QUOTED
    assert mailto._quote(text, table) == quote(text, safe=safe)
