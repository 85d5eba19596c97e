"""Whether a tracker location names a Google spreadsheet: known without loading gspread.

Every command works out which store a LOCATION is before opening it; for an .xlsx path that
should not cost the import of the Google client libraries.
"""

from __future__ import annotations

import re
from pathlib import Path

# Any address of a spreadsheet: with or without the scheme, a signed-in user's /u/N/, and
# whatever follows the key (/edit, ?usp=sharing, #gid=N). Keys are not of a fixed length.
_URL = re.compile(r"^(?:https?://)?docs\.google\.com/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)", re.I)
#: Text that names Google Sheets at all, key or not (a copied home page or a template gallery).
SHEETS_ADDRESS = re.compile(r"^(?:https?://)?docs\.google\.com/spreadsheets\b", re.I)
_GID = re.compile(r"[#?&]gid=(\d+)")
_KEY = re.compile(r"[A-Za-z0-9_-]{25,60}")


def parse_location(text: str) -> tuple[str, int | None] | None:
    """``(spreadsheet key, gid or None)`` for a Google Sheets URL or bare key; None for anything else.

    A bare key is 25 to 60 characters of ``[A-Za-z0-9_-]`` that is not an existing file's path.
    """
    if not isinstance(text, str):
        return None
    s = text.strip()
    if m := _URL.match(s):
        g = _GID.search(s[m.end() :])
        return m[1], int(g[1]) if g else None
    if _KEY.fullmatch(s) and not s.lower().endswith(".xlsx") and not Path(s).exists():
        return s, None
    return None
