"""A worksheet cell's value from its stored text, as openpyxl's reader gives it.

The scan (:mod:`.scan`) finds each cell's type, style and stored text; these turn them into
values: numbers, dates by the cell's number format, shared strings, booleans, errors, and the
result Excel saved for a formula.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from openpyxl.formula.translate import Translator
from openpyxl.utils.datetime import from_excel, from_ISO8601

from ...core.cells import CellError

_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    return _NAMED[name]


def xml_text(raw: bytes) -> str:
    """Character data as expat gives it: entities replaced, line ends made "\n"."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text


def typed(v: str, kind: str, style: int, dates, durations, epoch, shared_strings) -> Any:
    """A cell's stored text as openpyxl's reader turns it into a value."""
    if kind == "n":
        number = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
        if style in dates:
            return excel_date(number, epoch, style in durations)
        return number
    if kind == "s":
        return shared_strings[int(v)]
    if kind == "b":
        return bool(int(v))
    if kind == "str":
        return v
    if kind == "d":
        return from_ISO8601(v)
    if kind == "e":
        return CellError(v)
    return v


@functools.lru_cache(maxsize=4096)
def excel_date(number: float, epoch: dt.datetime, duration: bool) -> Any:
    """A date serial as openpyxl reads it (trackers repeat the same few hundred dates)."""
    try:
        return from_excel(number, epoch, timedelta=duration)
    except (OverflowError, ValueError):
        return CellError("#VALUE!")


UNSAVED = object()  # a formula cell without a saved result


def formula_result(state, kind, style, ref, shared_formulae, dates, durations, epoch, shared_strings) -> Any:
    """The result Excel saved for a formula cell, or UNSAVED."""
    fattrs = state.get("fattrs", {})
    formula = "=" + state.get("ftext", "")
    if fattrs.get("t") == "shared":
        si = fattrs.get("si")
        if si in shared_formulae and ref:
            formula = shared_formulae[si].translate_formula(ref)
        elif state.get("ftext") and ref:
            shared_formulae[si] = Translator(formula, ref)
    state["formula"] = formula
    v = state.get("vtext") if "v" in state else None
    if kind == "str":
        return UNSAVED if v is None else v  # an empty <v> is an empty text result
    if kind == "inlineStr":
        return "".join(state.get("is") or [])
    if not v:
        return UNSAVED
    if kind == "e":
        return CellError(v)
    if kind == "b":
        return v.strip() in ("1", "true")
    if kind == "s":
        return str(shared_strings[int(v)])
    if kind == "d":
        return from_ISO8601(v)
    return typed(v, "n", style, dates, durations, epoch, shared_strings)
