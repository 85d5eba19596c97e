"""Cell hyperlinks spliced into a worksheet part and its relationships (the Mail link column).

SpreadsheetML keeps a cell's link in two places (ECMA-376 Part 1, 18.3.1.47 ``hyperlink``):
a ``<hyperlink ref="X2" r:id="rId3"/>`` in the sheet's ``<hyperlinks>`` element, which comes
after ``<dataValidations>`` and before ``<printOptions>``/``<pageMargins>`` (the
``CT_Worksheet`` sequence), and an external relationship in ``xl/worksheets/_rels/sheetN.xml.rels``:
``<Relationship Id="rId3" Type=".../relationships/hyperlink" Target="mailto:..."
TargetMode="External"/>``. openpyxl writes the same two (``cell.hyperlink``); this writes them
in place, so the fast path keeps every other byte of the file.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from .scan import Unusual

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK_TYPE = REL_NS + "/hyperlink"
# The elements that follow <hyperlinks> in a worksheet (CT_Worksheet's sequence).
_AFTER = (
    "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
    "tableParts", "extLst",
)  # fmt: skip
_LINK_RE = re.compile(rb"<(?:\w+:)?hyperlink\b[^>]*?/>")
_REL_RE = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?/>")


def rels_part(sheet_part: str) -> str:
    """``xl/worksheets/sheet1.xml`` -> ``xl/worksheets/_rels/sheet1.xml.rels``."""
    folder, _, name = sheet_part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def _attr(tag: bytes, name: str) -> str | None:
    m = re.search(rb"\s" + re.escape(name.encode()) + rb'\s*=\s*"([^"]*)"', tag)
    return m.group(1).decode() if m else None


def splice_links(sheet: bytes, rels: bytes | None, links: dict[str, str | None]) -> tuple[bytes, bytes]:
    """The sheet part and its relationships part with each cell of ``links`` (an A1 reference)
    linked to its URL, or unlinked for None. Other links and relationships are kept as they are."""
    rels = rels or (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + f'<Relationships xmlns="{PKG_NS}"></Relationships>'.encode()
    )
    prefix = _rel_prefix(sheet)
    if prefix is None:
        sheet, prefix = _declare_rel_prefix(sheet), "r"
    dropped: set[str] = set()
    kept: list[bytes] = []
    block = re.search(rb"<(\w+:)?hyperlinks\b[^>]*?(/>|>(.*?)</(?:\w+:)?hyperlinks>)", sheet, re.S)
    if block is not None:
        for tag in _LINK_RE.findall(block.group(3) or b""):
            if (_attr(tag, "ref") or "").upper() in links:
                rid = _attr(tag, f"{prefix}:id")
                if rid:
                    dropped.add(rid)
            else:
                kept.append(tag)
    rels = _REL_RE.sub(lambda m: b"" if (_attr(m.group(0), "Id") or "") in dropped else m.group(0), rels)
    taken = {_attr(m, "Id") for m in _REL_RE.findall(rels)}
    new_rels, n = [], 0
    el = (block.group(1) or b"").decode() if block is not None else _sheet_prefix(sheet)
    for ref, url in sorted(links.items()):
        if not url:
            continue
        n += 1
        while f"rIdFs{n}" in taken:
            n += 1
        rid = f"rIdFs{n}"
        taken.add(rid)
        kept.append(f'<{el}hyperlink ref="{ref}" {prefix}:id="{rid}"/>'.encode())
        new_rels.append(
            f'<Relationship Id="{rid}" Type="{HYPERLINK_TYPE}" Target={quoteattr(url)} TargetMode="External"/>'
        )
    xml = f"<{el}hyperlinks>".encode() + b"".join(kept) + f"</{el}hyperlinks>".encode() if kept else b""
    if block is not None:
        sheet = sheet[: block.start()] + xml + sheet[block.end() :]
    elif xml:
        sheet = _insert_hyperlinks(sheet, xml)
    close = re.search(rb"</(?:\w+:)?Relationships\s*>", rels)
    if close is None:
        raise Unusual("a relationships part without its end")
    rels = rels[: close.start()] + "".join(new_rels).encode() + rels[close.start() :]
    return sheet, rels


def _rel_prefix(sheet: bytes) -> str | None:
    root = re.search(rb"<(?:\w+:)?worksheet\b[^>]*>", sheet)
    if root is None:
        raise Unusual("no worksheet element")
    m = re.search(rb'xmlns:(\w+)\s*=\s*"' + re.escape(REL_NS.encode()) + b'"', root.group(0))
    return m.group(1).decode() if m else None


def _declare_rel_prefix(sheet: bytes) -> bytes:
    root = re.search(rb"<(?:\w+:)?worksheet\b", sheet)
    assert root is not None  # _rel_prefix found it
    return sheet[: root.end()] + f' xmlns:r="{escape(REL_NS)}"'.encode() + sheet[root.end() :]


def _sheet_prefix(sheet: bytes) -> str:
    m = re.search(rb"<(\w+:)?sheetData\b", sheet)
    return (m.group(1) or b"").decode() if m else ""


def _insert_hyperlinks(sheet: bytes, xml: bytes) -> bytes:
    """``<hyperlinks>`` put where the schema wants it: before the first element that follows it."""
    for name in _AFTER:
        m = re.search(rb"<(?:\w+:)?" + name.encode() + rb"\b", sheet)
        if m is not None:
            return sheet[: m.start()] + xml + sheet[m.start() :]
    close = re.search(rb"</(?:\w+:)?worksheet\s*>", sheet)
    if close is None:
        raise Unusual("no end of the worksheet")
    return sheet[: close.start()] + xml + sheet[close.start() :]
