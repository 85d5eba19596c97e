"""The records about to be patched, fetched again just before the PATCH (issue 20).

A person may rewrite a Draft message in Airtable while a run is in flight; the run computed its
cells from its earlier read. So the records a run is about to patch are listed again, only the
fields about to be written, by ``filterByFormula=OR(RECORD_ID()='rec…', …)`` (`List records
<https://airtable.com/developers/web/api/list-records>`__: "filterByFormula: a formula used to
filter records", and RECORD_ID() is the record's id in Airtable's `formula field reference
<https://support.airtable.com/docs/formula-field-reference>`__); a cell that no longer holds what
the run read is left out of the PATCH, as the person's (:mod:`..stale`). pyairtable sends the
listing as ``POST .../listRecords`` when its URL would pass Airtable's 16,000 characters.
"""

from __future__ import annotations

from typing import Any

from ...core.changes import UNREAD, Applied, CellWrite
from ..stale import changed, message
from .fields import _from_airtable

#: Records per re-fetch request: one page (Airtable's ``pageSize`` is at most 100).
REFETCH = 100


def checks(patches: Any, rid: str, f: dict[str, Any], cw: CellWrite) -> None:
    """Remember what the run read in the cell of ``cw`` (record ``rid``, field ``f``)."""
    if cw.was is not UNREAD:
        patches.read.setdefault(rid, {})[f["id"]] = (cw, f)


def drop_theirs(table: Any, patches: Any, applied: Applied) -> int:
    """Leave out of ``patches`` every cell changed since the read; the requests it took."""
    checked = {rid: cells for rid, cells in patches.read.items() if rid in patches.fields}
    if not checked:
        return 0
    field_ids = sorted({fid for cells in checked.values() for fid in cells})
    rids = list(checked)
    now: dict[str, dict[str, Any]] = {}
    calls = 0
    for start in range(0, len(rids), REFETCH):
        chunk = rids[start : start + REFETCH]
        formula = "OR(" + ",".join(f"RECORD_ID()='{rid}'" for rid in chunk) + ")"
        for page in table.iterate(formula=formula, fields=field_ids, use_field_ids=True, page_size=REFETCH):
            calls += 1
            now.update({rec["id"]: rec.get("fields", {}) for rec in page})
    for rid, cells in checked.items():
        if rid not in now:
            continue  # deleted meanwhile: the PATCH finds out and says so
        for fid, (cw, f) in cells.items():
            if changed(cw, _from_airtable(f, now[rid].get(fid))):
                del patches.fields[rid][fid]
                patches.counts[rid][0] -= 1
                applied.skipped.append(message(cw.row.index + 1, cw.column))
        if not patches.fields[rid]:
            del patches.fields[rid]
    return calls
