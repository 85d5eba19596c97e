"""A tracker in a local ``.xlsx`` workbook.

:meth:`XlsxBackend.read` scans the tracker sheet's XML (:mod:`.scan`) and keeps the
file's bytes for :meth:`XlsxBackend.apply`, which splices followsync's cells into them and
saves the safe way: to a temporary file next to the tracker, then a ``.bak`` of the old bytes,
then an atomic rename (DESIGN.md invariant 3). If the file changed on disk since it was read
(a coach saved it), it is read again before any row is located, and rows are always found by
ID (invariant 4).

Adding a column, or a file the splice does not expect, goes through openpyxl instead, which
rewrites the whole file: that path refuses to write when it would lose something of the
user's that openpyxl cannot keep (charts, pictures, pivot tables, unsupported extensions),
unless forced; the ``.bak`` is kept either way.

The two paths are two views of the file, :class:`~.spliced.SplicedBook` and
:class:`~.rewritten.RewrittenBook`; this module keeps only the file's safety and the fallback
from one to the other.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import io
import logging
import os
import secrets
import shlex
import shutil
import stat
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

if TYPE_CHECKING:
    from ...config import Config
from ...core.changes import Applied, ChangeSet, Snapshot
from ...core.layout import Layout
from ...core.own_sheets import SUMMARY_READS, find_title, is_own
from ...core.schema import COLOUR_COLUMNS, locate_header
from ...errors import StaleRead, TrackerBusy, TrackerError, TrackerNotFound, TrackerUnreadable, UsageError
from ..base import Backend
from .rewritten import (
    VALIDATION_ROWS,
    RewrittenBook,
    brief,
    dress_column,
    pattern,
    save_workbook,
    set_value,
    wrap,
)
from .row_memo import memo_folder
from .scan import SheetScan, Unusual, no_collection
from .spliced import SplicedBook
from .writes import HEADER_HEIGHT, row_height, wraps

log = logging.getLogger(__name__)

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class XlsxBackend(Backend):
    """A tracker in the ``.xlsx`` file at ``path``, on ``worksheet`` (else ``Tracker``, else the first)."""

    def __init__(self, path: str | os.PathLike, worksheet: str | None = None):
        self.path = Path(path)
        self.location = str(path)
        self.worksheet = worksheet
        # The file as last read: spliced part by part, or loaded whole by openpyxl (None: not yet).
        self._view: SplicedBook | RewrittenBook | None = None
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file loaded
        self._digest = b""  # and a hash of its bytes: mtimes can be coarse (FAT, SMB: 2 s)
        #: how the last apply saved: "spliced" (parts changed in place) or "rewritten" (openpyxl)
        self.last_save: str | None = None

    @classmethod
    def from_location(cls, location: str, config: Config, worksheet: str | None = None) -> XlsxBackend:
        """The store at ``location``, an already-resolved path (``config`` is unused here)."""
        return cls(location, worksheet=worksheet)

    # The tests look at which view read the file.
    @property
    def _book(self) -> SplicedBook | None:
        return self._view if isinstance(self._view, SplicedBook) else None

    @property
    def _scan(self) -> SheetScan | None:
        return self._view.scan if isinstance(self._view, SplicedBook) else None

    # ------------------------------------------------------------------ reading

    def read(self, also: Sequence[str] = ()) -> Snapshot:
        """Read the tracker sheet's raw values, and the fills of its colour columns."""
        # Everything a read makes lives as long as the run: collections during it find nothing.
        with no_collection():
            return self._read(also)

    def _read(self, also: Sequence[str]) -> Snapshot:
        view = self._open()
        header = locate_header(view.grid, view.sheet)
        columns = (
            [] if header is None else [header.positions[n] for n in COLOUR_COLUMNS if n in header.positions]
        )
        fills = view.fills(columns, range(header.row + 1 if header else 0, len(view.grid)))
        sheets = {name: self.read_sheet(name) or [] for name in also}
        view = self._opened()  # read_sheet may have loaded the file with openpyxl
        # A spliced read's rows are shared, not copied (18 MB at 50,000 rows, issue 17): nothing
        # changes a Snapshot's rows, and a write gives the rows it changes new lists (SplicedBook.write).
        grid = list(view.grid) if isinstance(view, SplicedBook) else [list(r) for r in view.grid]
        return Snapshot(view.sheet, grid, fills, sheets=sheets)

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        view = self._opened()
        if isinstance(view, SplicedBook):
            try:
                return view.read_sheet(name)
            except Unusual:
                view = self._load(view.sheet)
        return view.read_sheet(name)

    def _opened(self) -> SplicedBook | RewrittenBook:
        """The file as last read, reading it first if it was not."""
        return self._open() if self._view is None else self._view

    def _open(self, sheet: str | None = None) -> SplicedBook | RewrittenBook:
        """Scan the file part by part; if it holds anything the scan doesn't expect, load it with openpyxl."""
        data, stamp = self._read_bytes()
        try:
            view = self._spliced(data, sheet)
        except Unusual:
            return self._load(sheet)
        self._view, self._stamp, self._digest = view, stamp, _digest(data)
        return view

    def _load(self, sheet: str | None = None) -> RewrittenBook:
        """Load the file whole with openpyxl."""
        data, stamp = self._read_bytes()
        view = RewrittenBook(data, lambda wb: self._pick(wb, sheet), self.location)
        self._view, self._stamp, self._digest = view, stamp, _digest(data)
        return view

    def _read_bytes(self) -> tuple[bytes, tuple[int, int]]:
        """The file's bytes and its (mtime_ns, size), read so the two belong together."""
        for _ in range(5):
            try:
                before = _stamp(os.stat(self.path))
                data = self.path.read_bytes()
                after = _stamp(os.stat(self.path))
            except FileNotFoundError:
                raise TrackerNotFound(
                    f"{self.location} does not exist",
                    hint=f"run `followsync init {shlex.quote(self.location)}` to create one",
                ) from None
            except IsADirectoryError:
                raise TrackerUnreadable(f"{self.location} is a folder, not an .xlsx workbook") from None
            except PermissionError:
                raise TrackerUnreadable(
                    f"{self.location} cannot be read: permission denied", hint="check the file's permissions"
                ) from None
            except OSError as e:
                raise TrackerUnreadable(f"{self.location} cannot be read: {e.strerror or e}") from e
            if before == after:
                break
        else:
            raise TrackerBusy(
                f"{self.location} keeps changing while followsync reads it; try again in a moment"
            )
        if data.startswith(_OLE2_MAGIC):
            raise TrackerUnreadable(
                f"{self.location} is an old Excel 97-2003 (.xls) or a password-protected workbook, "
                "not an .xlsx workbook",
                hint="save it as Excel Workbook (.xlsx) without a password to open",
            )
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise TrackerUnreadable(
                f"{self.location} is not an .xlsx workbook; save it as Excel Workbook (.xlsx)"
            )
        return data, after

    def _pick(self, wb: openpyxl.Workbook, sheet: str | None = None) -> str:
        """The tracker's worksheet: ``sheet``, else the one configured, else Tracker, else the first."""
        worksheets = [ws.title for ws in wb.worksheets]  # chart sheets hold no cells
        wanted = sheet or self.worksheet
        if wanted is not None:
            if wanted in worksheets:
                return wanted
            if wanted in wb.sheetnames:
                raise TrackerNotFound(f"{self.location}: sheet {wanted!r} is a chart sheet, not a worksheet")
            raise TrackerNotFound(
                f"{self.location} has no worksheet {wanted!r}; it has: "
                + ", ".join(repr(n) for n in worksheets)
            )
        if "Tracker" in worksheets:
            return "Tracker"
        # followsync's own Summary sits first so a coach sees it; it is never the tracker.
        candidates = [title for title in worksheets if not is_own(title, self.own_sheets)]
        if not candidates:
            raise TrackerNotFound(f"{self.location} has no worksheets, only chart sheets")
        return candidates[0]

    # ------------------------------------------------------------------ writing

    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        """Write ``changes`` into the workbook and save it atomically, keeping ``NAME.xlsx.bak``.

        Cells, colours, History rows and the Summary (new worksheets too) are spliced into the
        file's parts, and every other part is kept byte for byte. Adding a column, or a file the
        splice does not expect, goes through openpyxl, which rewrites the whole workbook and so
        first checks that nothing of the user's would be lost.
        """
        if not changes:
            return Applied()
        self._check_not_open()
        self._check_writable()
        view = self._view
        if view is not None and self._changed_on_disk():
            # saved by someone else since read(): what was computed from that read is stale
            raise StaleRead(f"{self.location} was saved by someone else since followsync read it")
        if view is None or view.sheet != changes.sheet:
            view = self._open(sheet=changes.sheet)
        if isinstance(view, SplicedBook):
            try:
                applied, data = view.write(changes)
            except Unusual as e:
                log.debug("%s: writing with openpyxl (%s)", self.location, e)
                view = self._load(sheet=changes.sheet)
            else:
                if data is not None:  # None: every change was skipped, nothing to save
                    self._save(backup=True, write=lambda tmp: _write_bytes(tmp, data))
                    applied.write_calls = 1
                    self.last_save = "spliced"
                    self._remember(data, changes.sheet)
                return applied
        if not force:
            view.check_nothing_lost(self.path.name)
        try:
            applied = view.write(changes)
        except BaseException:
            self._stamp = None  # the in-memory copy is half-changed: load again next time
            raise
        self._save(backup=True, write=view.save)
        applied.write_calls = 1
        self.last_save = "rewritten"
        return applied

    def _spliced(self, data: bytes, sheet: str | None) -> SplicedBook:
        """The file's bytes scanned, its rows remembered between reads (:mod:`.row_memo`)."""
        return SplicedBook(data, lambda wb: self._pick(wb, sheet), memo_folder(self.path))

    def _remember(self, data: bytes, sheet: str) -> None:
        """Remember the rows of the file just saved as ``data`` (:mod:`.row_memo`): the next read
        (the next run, a person's ``today``) then takes them from the memo instead of parsing the
        rows this write changed. Only a cache: nothing here can undo or fail the save."""
        try:
            with no_collection():
                book = self._spliced(data, sheet)
                for name in SUMMARY_READS:  # the worksheets a run reads along with the tracker
                    title = find_title(book.parts, name)
                    if title is not None:
                        book.scan_of(title)
        except Exception as e:  # the saved file is what it is: a scan that fails remembers nothing
            log.debug("%s: rows not remembered (%s)", self.location, e)

    def _check_not_open(self) -> None:
        folder, name = self.path.parent, self.path.name
        # Excel's owner file is "~$" + the name, with the name's first two characters dropped
        # when it is long; both forms are checked.
        for owner in {f"~${name}", f"~${name[2:]}"}:
            if (folder / owner).exists():
                raise TrackerBusy(
                    f"{self.location} is open in Microsoft Excel (found {owner}); close it and run again",
                    hint=f"if Excel is not running, delete {folder / owner}",
                )
        lock = folder / f".~lock.{name}#"
        if lock.exists():
            raise TrackerBusy(
                f"{self.location} is open in LibreOffice (found {lock.name}); close it and run again",
                hint=f"if LibreOffice is not running, delete {lock}",
            )

    def _check_writable(self) -> None:
        """A tracker made read-only (``chmod 444``) is refused, even for root, who could write it."""
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:
            return  # _read_bytes says what is wrong with it
        if not mode & 0o222:
            raise TrackerUnreadable(
                f"{self.location} is read-only (mode {mode:04o}); followsync won't replace it",
                hint=f"to let followsync write it: chmod u+w {shlex.quote(self.location)}",
            )

    def _changed_on_disk(self) -> bool:
        """Whether the file is no longer the one loaded (someone saved it since)."""
        try:
            if self._stamp is None or _stamp(os.stat(self.path)) != self._stamp:
                return True
            return _digest(self.path.read_bytes()) != self._digest
        except OSError:
            return True

    def _save(self, *, backup: bool, write: Callable[[Path], None]) -> None:
        """Save the file with ``write`` to a temporary file beside the tracker, with the tracker's
        owner, group and mode, then put it in the tracker's place (:func:`_replace`), keeping the
        file as it was just before as ``.bak``."""
        # A tracker reached through a symlink (a synced folder, say) is replaced where it really is.
        target = Path(os.path.realpath(self.path))
        folder = target.parent
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            # O_EXCL with 0o666: a new file gets the user's umask, like any file they create
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            write(tmp)
            if backup:
                _same_owner_and_mode(os.stat(target), tmp)
                self._replace(tmp, target)
            else:
                os.replace(tmp, target)
        except BaseException as e:
            self._stamp = None
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, TrackerError):
                raise type(e)(f"{e.message}; nothing was written, run followsync again", hint=e.hint) from e
            if not isinstance(e, Exception):
                raise
            raise TrackerError(
                f"could not save {self.location} ({brief(e)}); the file is unchanged",
                hint=f"check that {folder} is writable",
            ) from e
        try:
            self._stamp, self._digest = _stamp(os.stat(target)), _digest(target.read_bytes())
        except OSError:
            self._stamp = None
        if isinstance(self._view, RewrittenBook):
            self._view.saved_as(target)
        else:
            self._view = None  # offsets into the old bytes: scan again before the next write

    def _replace(self, tmp: Path, target: Path) -> None:
        """Put ``tmp`` in ``target``'s place unless someone saved ``target`` since it was read,
        and make the file that was there ``target.bak``.

        Where the system can (Linux 3.15+ on a local file system), the two files are swapped in
        one step (``renameat2(RENAME_EXCHANGE)``), and the file swapped out is checked to be the
        one read: a save that landed at any moment before the swap is swapped back into place,
        and :class:`StaleRead` makes the run read again. There is no window. Elsewhere the file
        is copied to ``.bak`` (checked to be the file read), checked again, then renamed over: a
        save in the time between that last check and the rename (measured: 0.26 ms median, 5 ms
        at worst under load) is overwritten.
        """
        bak = target.parent / f"{target.name}.bak"
        stale = StaleRead(f"{self.location} was saved by someone else while followsync wrote it")
        if self._changed_on_disk():
            raise stale
        if _exchange(tmp, target):
            # tmp now holds the file that was the tracker
            if _digest(tmp.read_bytes()) != self._digest:
                _exchange(tmp, target)  # their save back in place; tmp is ours again
                raise stale
            os.replace(tmp, bak)
            return
        bak_tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.bak.tmp"
        try:
            shutil.copy2(target, bak_tmp)
            if _digest(bak_tmp.read_bytes()) != self._digest:
                raise stale
            _same_owner_and_mode(os.stat(target), bak_tmp)
            os.replace(bak_tmp, bak)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(bak_tmp)
        if self._changed_on_disk():
            raise stale
        os.replace(tmp, target)

    # ------------------------------------------------------------------ creating

    def create(self, layout: Layout, rows: Sequence[dict[str, Any]] = ()) -> None:
        """Make a new tracker at ``path`` from ``layout``; refuses to overwrite an existing file."""
        if self.path.exists():
            raise UsageError(f"{self.location} already exists; followsync won't overwrite it")
        if not self.path.parent.is_dir():
            raise UsageError(f"cannot create {self.location}: folder {self.path.parent} does not exist")
        wb = openpyxl.Workbook()
        ws = wb.worksheets[0]  # a new workbook's only sheet, the active one
        ws.title = layout.worksheet
        bold = Font(bold=True)
        header_fill = pattern(layout.header_fill)
        last = get_column_letter(max(1, len(layout.columns)))
        for i, lc in enumerate(layout.columns, start=1):
            cell = ws.cell(1, i, lc.column.name)
            cell.font, cell.fill = bold, header_fill
            dress_column(ws, i, lc, header_row=1, last_row=VALIDATION_ROWS, formatted_rows=VALIDATION_ROWS)
        ws.row_dimensions[1].height = HEADER_HEIGHT  # two-line headers fit
        ws.freeze_panes = "A2"
        widths = {lc.column.name: lc.width for lc in layout.columns}
        wrapped = frozenset(lc.column.name for lc in layout.columns if lc.wrap)
        for r, row in enumerate(rows, start=2):
            tall = []
            for i, lc in enumerate(layout.columns, start=1):
                value = row.get(lc.column.name)
                if value is not None:
                    set_value(ws.cell(r, i), value, lc.number_format)
                    multi_line = isinstance(value, str) and wraps(lc.column.name, value, wrapped)
                    wrap(ws.cell(r, i), multi_line)  # every cell aligned to the top, as its column
                    if multi_line:
                        tall.append((value, widths[lc.column.name]))
            if tall:
                ws.row_dimensions[r].height = row_height(tall)
        ws.auto_filter.ref = f"A1:{last}{max(VALIDATION_ROWS, len(rows) + 1)}"
        self._save(backup=False, write=lambda tmp: save_workbook(wb, ws.title, {}, tmp))
        self._view = None  # read() loads the file as saved

    def lock_name(self) -> str:
        return str(self.path.resolve())

    def close(self) -> None:
        self._view = None


# ---------------------------------------------------------------------- helpers


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _same_owner_and_mode(old: os.stat_result, path: Path) -> None:
    """Give ``path`` the owner, group and mode of ``old``: a run as root (cron, sudo, a
    container) leaves the user's tracker the user's. Changing the owner takes root; a user
    who isn't root makes files that are theirs already."""
    os.chmod(path, stat.S_IMODE(old.st_mode))
    new = os.stat(path)
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        with contextlib.suppress(PermissionError):
            os.chown(path, old.st_uid, old.st_gid)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system can't."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _stamp(st: os.stat_result) -> tuple[int, int]:
    return st.st_mtime_ns, st.st_size
