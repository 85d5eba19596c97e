"""Airtable fields and values: the field each tracker column gets, and cells both ways.

Pure functions over Airtable's JSON (https://airtable.com/developers/web/api/field-model);
no requests are made here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...core.cells import (
    CellError,
    as_text,
    normalize_header,
    parse_choice,
    parse_count,
    parse_datetime,
    parse_yesno,
)
from ...core.schema import OWNED_NAMES, Column, Problem, match_header
from ..base import owns_sheet

if TYPE_CHECKING:
    from ...core.changes import RowRef

URGENCY = "Urgency"
#: RULES.md section 4's colour names, in order, with the Airtable choice colour of each.
URGENCY_CHOICES = {
    "overdue": "redLight2",
    "today": "orangeLight2",
    "soon": "yellowLight2",
    "waiting": "blueLight2",
    "done": "greenLight2",
    "closed": "grayLight2",
    "problem": "purpleLight2",
}
URGENCY_NOTE = (
    "Written by followsync: how urgent the next action is (overdue, today, soon, waiting, done, closed, "
    "problem), the colour a spreadsheet tracker gives Next action and Due."
)


# Long text in Airtable for these; single line text for the other text columns.
MULTILINE = frozenset(
    {
        "Talking points",
        "Highlights",
        "Open questions",
        "Notes",
        "Reminder",
        "Draft message",
        "LinkedIn note",
        "Problems",
    }
)
CHECKBOX_OPTIONS = {"icon": "check", "color": "greenBright"}
DATE_OPTIONS = {"dateFormat": {"name": "iso"}}
# "client": Airtable shows the time in each viewer's own zone; followsync reads it in the
# zone of the machine it runs on.
DATETIME_OPTIONS = {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "client"}


def field_spec(column: Column, note: str = "") -> dict[str, Any]:
    """The Airtable field for one of the tracker's columns (RULES.md section 1)."""
    name = column.name
    spec: dict[str, Any] = {"name": name}
    if name == "Interview at" or column.kind == "datetime":
        spec.update(type="dateTime", options=DATETIME_OPTIONS)
    elif column.kind == "date":
        spec.update(type="date", options=DATE_OPTIONS)
    elif column.kind == "choice":
        spec.update(type="singleSelect", options={"choices": [{"name": c} for c in column.choices]})
    elif column.kind in ("yesno", "tick_or_date"):  # Mark sent: a tick (a typed date needs a text cell)
        spec.update(type="checkbox", options=CHECKBOX_OPTIONS)
    elif column.kind == "count":
        spec.update(type="number", options={"precision": 0})
    elif name == "Interviewer email":
        spec["type"] = "email"
    elif name == "Interviewer phone":
        spec["type"] = "phoneNumber"
    elif name == "Mail link":
        spec["type"] = "url"  # Airtable shows a URL field as a link: one click opens the draft
    elif name in MULTILINE:
        spec["type"] = "multilineText"
    else:
        spec["type"] = "singleLineText"
    if note:
        spec["description"] = note
    return spec


def sheet_field_spec(name: str, first: bool = False) -> dict[str, Any]:
    """A field of another table (History): dates as dates, messages as long text, else text."""
    key = normalize_header(name)
    if key in ("date", "on", "when"):
        return {"name": name, "type": "date", "options": DATE_OPTIONS}
    if key in ("message", "notes", "whathappened") and not first:
        return {"name": name, "type": "multilineText"}
    return {"name": name, "type": "singleLineText"}


def urgency_spec() -> dict[str, Any]:
    """The Urgency single select, its choices coloured like RULES.md section 4."""
    return {
        "name": URGENCY,
        "type": "singleSelect",
        "description": URGENCY_NOTE,
        "options": {"choices": [{"name": n, "color": c} for n, c in URGENCY_CHOICES.items()]},
    }


def find_field(table: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A field by its name as headers are matched (for columns the schema does not know)."""
    key = normalize_header(name)
    return next((f for f in table.get("fields", []) if normalize_header(f.get("name")) == key), None)


def find_table(tables: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    for t in tables:
        if t.get("id") == key:
            return t
    for t in tables:
        if t.get("name") == key:
            return t
    folded = " ".join(key.split()).casefold()
    matches = [t for t in tables if " ".join(str(t.get("name", "")).split()).casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def _from_airtable(f: dict[str, Any], value: Any) -> Any:
    """A cell as the schema expects raw values: dates as dates, checkboxes as bools, the rest text."""
    if value is None:
        return None
    kind = f.get("type")
    if isinstance(value, dict) and ("error" in value or "specialValue" in value):
        return CellError(str(value.get("error") or value.get("specialValue") or "#ERROR!"))
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if kind == "dateTime" and isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return _local(stamp, (f.get("options") or {}).get("timeZone"))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(value, list):
        return ", ".join(str(_from_airtable({}, v)) for v in value if v is not None)
    if isinstance(value, dict):
        return str(
            value.get("name") or value.get("email") or value.get("filename") or value.get("url") or value
        )
    return str(value)


def _local(stamp: dt.datetime, zone: str | None) -> dt.datetime:
    """An Airtable timestamp (UTC) as a naive date-time in the field's zone (the machine's for 'client')."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    if zone == "utc":
        return stamp.astimezone(dt.UTC).replace(tzinfo=None)
    if zone and zone != "client":
        try:
            return stamp.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return stamp.astimezone().replace(tzinfo=None)


def _to_airtable(f: dict[str, Any], value: Any) -> Any:
    """A value for field ``f`` in the form Airtable accepts without typecast.

    A value that does not fit the field's type is sent as text: Airtable then refuses it with a
    422 that names the field, which is the message the user needs.
    """
    try:
        return _typed(f, value)
    except ValueError:
        return as_text(value)


def _typed(f: dict[str, Any], value: Any) -> Any:
    kind = f.get("type")
    if kind == "checkbox":
        return bool(parse_yesno(value))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "date":
        stamp, _ = parse_datetime(value)
        return stamp.date().isoformat() if stamp else None
    if kind == "dateTime":
        if isinstance(value, dt.datetime):
            stamp = value if value.tzinfo else value.astimezone()
        else:
            naive, _ = parse_datetime(value)
            if naive is None:
                return None
            stamp = naive.astimezone()  # a time as typed is the user's local time
        return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if kind in ("number", "currency", "percent"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return parse_count(value)
    if kind == "singleSelect":
        col = match_header(f.get("name"))
        return parse_choice(value, col.choices) if col and col.choices else as_text(value)
    return as_text(value) if not isinstance(value, str) else value


#: Field types whose cells Airtable computes and refuses to be written (422 INVALID_VALUE_FOR_COLUMN
#: "... cannot accept a value because the field is computed"), per its field model
#: (https://airtable.com/developers/web/api/field-model).
COMPUTED_TYPES = frozenset(
    {
        "formula",
        "rollup",
        "lookup",
        "multipleLookupValues",
        "count",
        "autoNumber",
        "createdTime",
        "lastModifiedTime",
        "createdBy",
        "lastModifiedBy",
        "button",
    }
)


def computed_field(f: dict[str, Any], column: str) -> str:
    """The one note for a followsync column whose Airtable field is computed: never written."""
    return (
        f"the field {f.get('name')!r} is a {f.get('type')} field, which Airtable computes itself; followsync "
        f"did not write its {column} there. Rename that field (followsync then adds its own {column!r}) or "
        "change its type to text"
    )


def written_columns() -> tuple[str, ...]:
    """The columns followsync writes on every run: its own, and the ticks it clears (the layout's
    checkbox columns). A computed field in one of their places is a Problem up front; a computed
    user column (a count of Follow-ups sent, say) is the person's, and a send that would write
    it says so then."""
    from ...core.layout import load

    return (*OWNED_NAMES, *(c.column.name for c in load().columns if c.checkbox))


def computed_problems(table: str, columns: dict[str, dict[str, Any]]) -> list[Problem]:
    """A Problem for each computed field (COMPUTED_TYPES) named like a column followsync writes:
    Airtable refuses any write to one (422 INVALID_VALUE_FOR_COLUMN, the whole batch)."""
    out = []
    for column in written_columns():
        f = columns.get(column)
        if f is not None and f.get("type") in COMPUTED_TYPES:
            out.append(
                Problem(
                    table,
                    None,
                    str(f.get("name")),
                    f"is a {f.get('type')} field, which Airtable computes itself and refuses writes to, so "
                    f"followsync writes nothing to its {column} column there (the rest of the run is written)",
                    f"rename that field (followsync then adds its own {column!r}) or change its type to long text",
                )
            )
    return out


def _notes() -> dict[str, str]:
    from ...core.layout import load

    return {lc.column.name: lc.note for lc in load().columns}


def _gone_message(rid: str, ref: RowRef | None) -> str:
    name = f"ID {ref.id!r}" if ref is not None and ref.id else f"record {rid}"
    # The wording of base.locate's message, so every backend reports a vanished row alike.
    return f"row with {name} is gone (deleted in Airtable while followsync ran); skipped it"


def _owns_table(table: dict[str, Any], header: Sequence[str]) -> bool:
    """Whether another table (History) is followsync's: its first field is the header's first name.

    Names compare as headers are matched; a table without fields is not followsync's.
    """
    fields = table.get("fields") or [{}]
    first = normalize_header(fields[0].get("name") or "")
    return bool(first) and owns_sheet([first], [normalize_header(header[0])])
