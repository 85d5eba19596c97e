"""Rows read before, remembered: a worksheet row whose bytes are what they were at the last read
is taken from that read instead of being parsed again (issue 17).

A run that changes nothing leaves the file as it found it, and the next run reads the same bytes:
on a day with nothing to do, most of a large tracker's read was parsing rows already parsed. So
each scanned part leaves behind, in followsync's cache folder, the values and cell styles of its
rows, keyed on a hash of each row's bytes; the next scan of the part looks each row up there.

Why a remembered row is the row: the scan reads a row's cells from the row's own bytes and from
a context, nothing else. The context is the shared strings, which cell formats are dates or
durations, the workbook's epoch, and the scanning code itself
(:func:`context_of`); a memo made in any other context is not used. The key is a 128-bit BLAKE2b
hash of the row's bytes, from ``<row`` to ``</row>``, its number included. Only rows of the plain
shape are remembered: a row with a formula, a row style, a cell outside its row or without its
reference, or a row met twice is parsed every time, and a part with any of those is not
remembered at all (:meth:`PartMemo.save`). A memo that is missing, unreadable or of another
context is ignored, and the rows are parsed. The expat pass over the whole part runs either way,
so a file expat refuses is still refused.

The memo holds the person's cells (names, emails, drafts): it is written private (0600) under
``$FOLLOWSYNC_CACHE_DIR``, else the user cache folder, and it is only a cache: deleting it costs
one slower run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gzip
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import __version__ as OPENPYXL_VERSION

from ...config import cache_dir
from ...core.draft_memo import code_digest

if TYPE_CHECKING:
    from .scan import SheetScan, _Scanner

log = logging.getLogger(__name__)

FORMAT = "followsync row memo 1"
#: the types a remembered value may have: what a plain cell reads as (PartMemo.save)
_PLAIN = frozenset((type(None), str, int, float, bool, dt.datetime, dt.date, dt.time, dt.timedelta))
_SAFE_CLASSES = {("datetime", name) for name in ("datetime", "date", "time", "timedelta")}

#: a row's (length of its element in bytes, hash of them, [column, style, ...] or None, values
#: or None): what reading those bytes gives
Entry = tuple[int, bytes, "list[int] | None", "list[Any] | None"]


def memo_folder(path: Path) -> Path:
    """Where the memos of the workbook at ``path`` are kept (one file per scanned part)."""
    try:
        name = str(path.resolve())
    except OSError:
        name = str(path.absolute())
    return cache_dir("rows") / hashlib.sha1(name.encode()).hexdigest()[:16]


def memo_name(part: str) -> str:
    """The memo file of worksheet part ``part`` (xl/worksheets/sheet1.xml) in a memo folder."""
    return hashlib.sha1(part.encode()).hexdigest()[:12] + ".pickle.gz"


def context_of(
    shared_strings: list[str], dates: frozenset[int], durations: frozenset[int], epoch: dt.datetime
) -> bytes | None:
    """Everything besides a row's bytes that its values depend on (see the module's docstring).
    Not the namespace prefix: a row's bytes name it, and the scan checks what it stands for."""
    if not _code():
        return None
    h = hashlib.blake2b(digest_size=16)
    for piece in (
        FORMAT,
        f"{sys.version_info[:2]}",
        OPENPYXL_VERSION,
        _code(),
        repr(sorted(dates)),
        repr(sorted(durations)),
        epoch.isoformat(),
        str(len(shared_strings)),
    ):
        h.update(piece.encode() + b"\0")
    for text in shared_strings:
        h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return h.digest()


@functools.cache
def _code() -> str:
    """The scanning code's own hash: this folder's sources and the core's (what a cell means).
    Empty when they can't be read (a build without sources): then nothing is remembered."""
    here = Path(__file__).parent
    xlsx, core = code_digest(here), code_digest(here.parent.parent / "core")
    return f"{xlsx}:{core}" if xlsx and core else ""


def row_key(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class PartMemo:
    """The rows of one worksheet part as the last scan of it read them, and what this scan read.

    ``known`` maps a row's number to its :data:`Entry`. :func:`.quick.scan_quickly` takes a
    row from there when the bytes at its place are the remembered ones (:meth:`recall`), tells
    :meth:`remember` the rows it parsed, and the scan ends with :meth:`save`.
    """

    def __init__(self, file: Path, context: bytes):
        self.file, self.context = file, context
        self.known: dict[int, Entry] = self._load()
        self.recalled: list[int] = []  # the rows taken from the memo in this scan
        self.parsed: list[tuple[int, int, bytes]] = []  # (row, length, hash) of the rows parsed

    def _load(self) -> dict[int, Entry]:
        try:
            with gzip.open(self.file, "rb") as f:
                fmt, context, known = _Unpickler(f).load()
        except FileNotFoundError:
            return {}
        except Exception as e:  # any damage: the memo is only a cache, and the rows are parsed
            log.debug("row memo %s not used: %s", self.file, e)
            return {}
        if fmt != FORMAT or context != self.context or not isinstance(known, dict):
            return {}
        return known

    def recall(self, scanner: _Scanner, row: int, start: int, end_tag: int) -> bool:
        """Put remembered row ``row`` into the scan as parsing it would (its element from offset
        ``start``, its end tag at ``end_tag``); False when its number was met already (the
        handlers' steps say what that means)."""
        if row in scanner.row_spans or row in scanner.cell_styles:
            return False
        _, _, pairs, values = self.known[row]
        scan = scanner.scan
        scanner.row, scanner.row_start = row, start
        scanner.row_spans[row] = (start, end_tag)
        if row > scan.last_row_element:
            scan.last_row_element = row
        if pairs:
            # a list of the scan's own: the memo's is shared by rows alike, and a row met again
            # later adds its cells to its list
            scanner.cell_styles[row] = list(pairs)
            scanner.col = pairs[-2]
            scan.max_row = max(scan.max_row, row)
            scan.max_col = max(scan.max_col, max(pairs[0::2]))
        else:
            scanner.col = 0
        if values is not None:
            scanner.values[row] = values
        self.recalled.append(row)
        return True

    def remember(self, parsed: list[tuple[int, int, bytes]]) -> None:
        """These rows, (number, length, hash) each, were parsed by this scan."""
        self.parsed += parsed

    def save(self, scan: SheetScan, values: dict[int, list[Any]]) -> None:
        """Keep this scan's rows (``values``: row -> its values) for the next scan, when they
        differ from the memo's. A part with any row of another shape is not kept."""
        if not self.parsed and len(self.recalled) == len(self.known):
            return  # the memo is this scan already
        if scan.irregular or scan.implicit or scan.formulas or scan.row_styles:
            self._drop()  # a row's lists may then hold more than its own bytes say
            return
        known = {row: self.known[row] for row in self.recalled}
        for row, length, key in self.parsed:
            cells = values.get(row)
            if cells is not None and not _PLAIN.issuperset(map(type, cells)):
                continue  # a value the memo can't read back (it reads only plain types)
            known[row] = (length, key, scan.cell_styles.get(row), cells)
        self._write(known)

    def _write(self, known: dict[int, Entry]) -> None:
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.file.name}.", suffix=".tmp", dir=self.file.parent)
            try:
                with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as f:
                    pickle.dump((FORMAT, self.context, known), f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.file)  # mkstemp's file is private (0600), and stays so
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            log.debug("row memo %s not written: %s", self.file, e)

    def _drop(self) -> None:
        with contextlib.suppress(OSError):
            self.file.unlink(missing_ok=True)


class _Unpickler(pickle.Unpickler):
    """Reads only plain data back: the memo's values are text, numbers and dates (the pickle
    documentation's "Restricting Globals"), so a damaged or planted file can't run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_CLASSES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not kept in a row memo")
