"""A workbook's small parts, read without loading the workbook: what a scan needs to type cells.

The tracker's cells are scanned by :mod:`.scan`; to give the same values as openpyxl it needs
the worksheets' names and parts, the shared strings, which cell formats show dates or
durations, the date system (1900 or 1904) and the fills. openpyxl's read-only loader used to
give these, at the cost of a second pass over the file (its shared-strings reader builds an
object per string). Here each part is read once, directly:

- ``[Content_Types].xml``, the workbook part and its relationships, and ``xl/styles.xml``,
  all small, go through openpyxl's own parsers for those parts (the very code its loader runs),
  so names, targets, the epoch and the date styles come out as openpyxl has them;
- the shared strings, the one large part, are read with expat in one pass; an ``<si>`` the
  reader does not expect (anything but text runs and phonetic runs) sends the whole part to
  openpyxl's own reader instead.

Anything unexpected raises :class:`~.scan.Unusual`; the caller then uses openpyxl's loader.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from .scan import MAIN_NS, Unusual, check_utf8
from .xml import set_attr

_WORKSHEET = "/worksheet"
_CHARTSHEET = "chartsheet"


@dataclass
class Title:
    """A worksheet as :meth:`~.backend.XlsxBackend._pick` sees it: by its title."""

    title: str


@dataclass
class Package:
    """What openpyxl's read-only loader said of a workbook, read from its small parts."""

    workbook_part: str
    parts: dict[str, str]  # worksheet title -> its part, in the workbook's order
    sheetnames: list[str]  # worksheets and chart sheets
    shared_strings: list[str]
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: dt.datetime
    xf_fills: list[int] = field(default_factory=list)  # cell format -> its fillId
    fills: list[Any] = field(default_factory=list)  # openpyxl Fill objects, by fillId

    @property
    def worksheets(self) -> list[Title]:
        return [Title(t) for t in self.parts]


def read_package(archive: zipfile.ZipFile, names: list[str]) -> Package:
    """The workbook's names, parts, shared strings and styles; Unusual where openpyxl's loader must."""
    try:
        return _read(archive, names)
    except Unusual:
        raise
    except Exception as e:  # any parser's complaint: let openpyxl's loader judge the file
        raise Unusual(f"the workbook's parts could not be read directly ({type(e).__name__}: {e})") from e


def _read(archive: zipfile.ZipFile, names: list[str]) -> Package:
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.packaging.workbook import WorkbookPackage
    from openpyxl.reader import excel
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
    from openpyxl.xml import functions
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_STYLE, SHARED_STRINGS

    # openpyxl's own steps, private or loosely typed in its stubs
    fromstring: Any = functions.fromstring
    find_workbook_part: Any = vars(excel)["_find_workbook_part"]

    package: Any = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    strings: list[str] = []
    ct = package.find(SHARED_STRINGS)
    if ct is not None:
        strings = read_shared_strings(archive.read(ct.PartName[1:]))
    wb_part = find_workbook_part(package).PartName[1:]
    book: Any = WorkbookPackage.from_tree(fromstring(archive.read(wb_part)))
    epoch = (
        CALENDAR_MAC_1904
        if book.properties is not None and book.properties.date1904
        else CALENDAR_WINDOWS_1900
    )
    rels = get_dependents(archive, get_rels_path(wb_part)).to_dict()
    valid = set(names)
    parts: dict[str, str] = {}
    sheetnames: list[str] = []
    for sheet in book.sheets:
        if not sheet.id:
            continue  # openpyxl warns and drops it
        rel = rels[sheet.id]
        if rel.target not in valid:
            continue
        if sheet.name in parts or sheet.name in sheetnames:
            raise Unusual(f"two sheets are named {sheet.name!r}")
        sheetnames.append(sheet.name)
        if _CHARTSHEET in rel.Type:
            continue
        parts[sheet.name] = rel.target
    date_styles, timedelta_styles, xf_fills, fills = _styles(archive, ARC_STYLE, fromstring)
    return Package(
        workbook_part=wb_part,
        parts=parts,
        sheetnames=sheetnames,
        shared_strings=strings,
        date_styles=date_styles,
        timedelta_styles=timedelta_styles,
        epoch=epoch,
        xf_fills=xf_fills,
        fills=fills,
    )


def _styles(
    archive: zipfile.ZipFile, part: str, fromstring: Any
) -> tuple[frozenset[int], frozenset[int], list[int], list[Any]]:
    """Date and duration formats and fills, as openpyxl's apply_stylesheet gives them."""
    from openpyxl.styles.stylesheet import Stylesheet

    try:
        src = archive.read(part)
    except KeyError:
        raise Unusual("no styles.xml: openpyxl's defaults apply") from None
    sheet: Any = Stylesheet.from_tree(  # its stubs don't declare what _normalise_numbers adds
        fromstring(src)
    )
    if not sheet.cell_styles:
        raise Unusual("styles.xml has no cell formats: openpyxl's defaults apply")
    return (
        frozenset(sheet.date_formats),
        frozenset(sheet.timedelta_formats),
        [xf.fillId for xf in sheet.cell_styles],
        list(sheet.fills),
    )


# ---------------------------------------------------------------------- shared strings


class _Unexpected(Exception):
    pass


def read_shared_strings(data: bytes) -> list[str]:
    """``sharedStrings.xml`` as openpyxl's read_string_table reads it (without rich text)."""
    try:
        return _SharedStrings(data).strings
    except _Unexpected:
        from openpyxl.reader.strings import read_string_table

        return list(read_string_table(io.BytesIO(data)))


class _SharedStrings:
    """One expat pass: each ``<si>``'s plain ``<t>`` and its runs' ``<t>``, phonetic runs left out.

    openpyxl's Text.content is the ``<t>`` child's text followed by each ``<r>``'s ``<t>``;
    the shapes where its object model would read otherwise (two plain ``<t>``, elements inside
    a ``<t>``, an unknown child) are not guessed at: the part goes to openpyxl.
    """

    def __init__(self, data: bytes):
        self.strings: list[str] = []
        self.path: list[str] = []  # local names from <si> down
        self.plain: str | None = None
        self.seen_plain = False
        self.runs: list[str] = []
        self.text: list[str] | None = None
        self.run_t = False
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.chars
        self.parser = parser
        try:
            parser.Parse(data, True)
        except expat.ExpatError as e:
            raise Unusual(f"sharedStrings.xml is broken ({e})") from e

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        path = self.path
        if not path:
            if local == "si" and ns == MAIN_NS:
                path.append("si")
                self.plain, self.seen_plain, self.runs = None, False, []
            elif local != "sst" or ns != MAIN_NS:
                raise _Unexpected(name)
            return
        if ns != MAIN_NS or self.text is not None:
            raise _Unexpected(name)
        depth, parent = len(path), path[-1]
        if depth == 1:
            if local == "t":
                if self.seen_plain:
                    raise _Unexpected("two plain texts")
                self.seen_plain = True
                self.text = []
            elif local not in ("r", "rPh", "phoneticPr"):
                raise _Unexpected(name)
        elif parent == "r":
            if local == "t":
                if self.run_t:
                    raise _Unexpected("two texts in a run")
                self.run_t = True
                self.text = []
            elif local != "rPr":
                raise _Unexpected(name)
        elif parent not in ("rPh", "rPr", "phoneticPr") and path[1] not in ("rPh", "rPr"):
            raise _Unexpected(name)
        path.append(local)

    def chars(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, name: str) -> None:
        path = self.path
        if not path:
            return  # </sst>
        local = path.pop()
        if local == "t" and self.text is not None:
            text = "".join(self.text)
            self.text = None
            if len(path) == 1:
                self.plain = text
            else:
                self.runs.append(text)
        elif local == "r":
            self.run_t = False
        elif local == "si":
            parts = [] if self.plain is None else [self.plain]
            self.strings.append("".join(parts + self.runs).replace("x005F_", ""))


_CALC_FOLLOWERS = (
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


def full_calc_on_load(workbook_xml: bytes) -> bytes:
    """workbook.xml asking Excel to recalculate every formula when it opens the file.

    Formulas elsewhere may read the cells just written, and their saved results are now stale.
    """
    check_utf8(workbook_xml)
    text = workbook_xml.decode("utf-8-sig")
    m = re.search(r"<(\w+:)?workbook\b", text)
    if not m:
        raise Unusual("workbook.xml has no workbook")
    p = m.group(1) or ""
    calc = re.search(rf"<{p}calcPr\b[^>]*>", text)
    if calc:
        text = text[: calc.start()] + set_attr(calc.group(0), "fullCalcOnLoad", "1") + text[calc.end() :]
    else:
        follower = re.search(rf"<{p}(?:{'|'.join(_CALC_FOLLOWERS)})\b|</{p}workbook\s*>", text)
        if follower is None:
            raise Unusual("workbook.xml's workbook is not closed")
        text = text[: follower.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + text[follower.start() :]
    return text.encode("utf-8")
