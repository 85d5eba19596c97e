"""Parsing fixture messages: headers, auto-replies, bounces, and the reply's own text."""

from __future__ import annotations

from followsync.inbox.messages import normalise_subject, parse, strip_quoted

from .conftest import fixture


def test_headers_and_threading():
    m = parse(fixture("inbox-interview-invitation.eml"))
    assert m.sender == "hiring@acme.example" and m.sender_name == "Acme Hiring Team"
    assert m.to == ("alex@example.com",) and m.cc == ("jane@acme.example",)
    assert m.message_id == "<inv-20261123-1@acme.example>"
    assert m.in_reply_to == "<thanks-acme-1@example.com>"
    assert m.references == ("<thanks-acme-1@example.com>",)
    assert m.date.isoformat() == "2026-11-23T11:30:00+01:00"
    assert not m.auto and not m.bounced
    assert "second interview" in m.body and "Thank you for the interview today" not in m.body


def test_out_of_office_is_automatic():
    assert parse(fixture("inbox-out-of-office.eml")).auto == "Auto-Submitted: auto-replied"
    raw = b"From: a@b.example\r\nSubject: Abwesenheitsnotiz: Ihr Termin\r\n\r\nBin weg.\r\n"
    assert parse(raw).auto == "out-of-office subject"
    raw = b"From: a@b.example\r\nSubject: R\xc3\xa9ponse automatique : entretien\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\r\n"
    assert parse(raw).auto == "out-of-office subject"
    raw = b"From: a@b.example\r\nX-Autoreply: yes\r\nSubject: Re: hi\r\n\r\nx\r\n"
    assert parse(raw).auto == "X-Autoreply: yes"
    raw = b"From: a@b.example\r\nAuto-Submitted: no\r\nSubject: Re: hi\r\n\r\nx\r\n"
    assert parse(raw).auto == ""


def test_bounce_names_the_failed_recipient():
    m = parse(fixture("inbox-bounce.eml"))
    assert m.bounced == ("lee@hooli.example",)
    assert m.bounced_message_id == "<thanks-hooli-1@example.com>"
    assert m.auto == ""  # a bounce is its own kind, not an auto-reply


def test_quoted_text_is_stripped_in_four_forms():
    assert "offer" not in parse(fixture("inbox-quoted-offer.eml")).body  # Outlook header block and ">"
    german = parse(fixture("inbox-german.eml"))
    assert "Leider müssen wir Ihnen mitteilen" in german.body and "Angebot" not in german.body
    assert german.subject == "AW: Vielen Dank für das Gespräch"
    french = parse(fixture("inbox-french.eml"))
    assert "second entretien" in french.body and "Malheureusement" not in french.body


def test_strip_quoted_forms():
    assert strip_quoted("Thanks!\n\nOn Mon, 23 Nov 2026 at 10:00, Jane Jones <\njane@acme.example> wrote:\n> old") == "Thanks!"
    assert strip_quoted("Danke.\nAm Mo., 23. Nov. 2026 um 10:00 Uhr schrieb Jane <j@x.example>:\n> alt") == "Danke."
    assert strip_quoted("Merci.\nLe 23/11/2026 à 10:00, Jane a écrit :\n> ancien") == "Merci."
    assert strip_quoted("Ok.\n-----Original Message-----\nFrom: x\nwe offer") == "Ok."
    assert strip_quoted("Fwd.\n---------- Forwarded message ---------\nFrom: x\noffer") == "Fwd."
    assert strip_quoted("Hallo.\nVon: Jane\nGesendet: Montag\nAn: Alex\nAngebot") == "Hallo."
    assert strip_quoted("Yes.\n-- \nJane, Offer Manager") == "Yes."
    assert strip_quoted("keep\n> drop\nkeep too") == "keep\nkeep too"


def test_html_only_mail_reads_as_text():
    raw = (b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>We are pleased to offer you the role.</p><blockquote>old offer</blockquote>")
    body = parse(raw).body
    assert "pleased to offer you the role" in body and "old offer" not in body


def test_malformed_message_does_not_raise():
    m = parse(b"Date: not a date\r\nFrom: <<>>\r\n\r\n\xff\xfe")
    assert m.sender == "" and m.date.year == 1970


def test_normalise_subject():
    assert normalise_subject("RE: Fwd:  Thank  you for the Interview") == "thank you for the interview"
    assert normalise_subject("AW: WG: TR: Re[2]: Hallo") == "hallo"
    assert normalise_subject("Réunion") == "réunion"
