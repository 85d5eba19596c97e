"""``xl/styles.xml``, read and added to: the cell formats a splice gives the cells it writes."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr, unescape

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from .scan import Unusual, check_utf8
from .xml import attr, set_attr


def _normal(xml: str) -> str:
    return re.sub(r"\s+/>", "/>", re.sub(r">\s+<", "><", xml.strip()))


class StyleBook:
    """``xl/styles.xml``, to which new cell formats (a fill, a date format, bold) are added.

    New formats are copies of a cell's current one with one thing changed, and an identical
    format already in the file is used again, so formats don't pile up run after run.
    """

    def __init__(self, data: bytes):
        check_utf8(data)
        self.original = data
        self.text = data.decode("utf-8-sig")
        m = re.search(r"<(\w+:)?styleSheet\b", self.text)
        if not m:
            raise Unusual("styles.xml has no styleSheet")
        self.prefix = m.group(1) or ""
        self.xfs = self._items("cellXfs", "xf")
        self.fills = self._items("fills", "fill")
        self.fonts = self._items("fonts", "font")
        # Only the cell number formats: <dxfs> (conditional formats) hold numFmts of their own.
        self.format_list = self._items("numFmts", "numFmt")
        self.formats = {
            unescape(attr(tag, "formatCode") or "", {"&quot;": '"', "&apos;": "'"}): int(
                attr(tag, "numFmtId") or 0
            )
            for tag in self.format_list
        }
        self.codes = {v: k for k, v in self.formats.items()}
        self._format_ids = {int(x) for x in re.findall(r"""\bnumFmtId\s*=\s*["'](\d+)""", self.text)}
        self.added: dict[str, list[str]] = {"cellXfs": [], "fills": [], "fonts": [], "numFmts": []}
        self._known = {_normal(x): i for i, x in enumerate(self.xfs)}
        self._cache: dict[tuple, int] = {}
        self._fill_ids: dict[str, int] = {}

    def _items(self, parent: str, child: str) -> list[str]:
        p = self.prefix
        m = re.search(rf"<{p}{parent}\b[^>]*?(/>|>(.*?)</{p}{parent}\s*>)", self.text, re.S)
        if not m or m.group(1) == "/>":
            return []
        body = m.group(2)
        items = re.findall(
            rf"<{p}{child}\b[^>]*?/>|<{p}{child}\b[^>]*?[^/]>.*?</{p}{child}\s*>|<{p}{child}>.*?</{p}{child}\s*>",
            body,
            re.S,
        )
        # The items must be the whole list (a comment or anything else in it: not ours to edit).
        if re.sub(r"\s", "", "".join(items)) != re.sub(r"\s", "", body):
            raise Unusual(f"styles.xml's {parent} is not a plain list of {child}")
        return items

    def _xf_start(self, index: int) -> tuple[str, str]:
        if not 0 <= index < len(self.xfs):
            raise Unusual(f"cell format {index} is not in styles.xml")
        xf = self.xfs[index]
        end = xf.index(">") + 1
        return xf[:end], xf[end:]

    def _with(self, index: int, **attrs: str) -> int:
        key = (index, tuple(sorted(attrs.items())))
        if key in self._cache:
            return self._cache[key]
        head, rest = self._xf_start(index)
        for name, value in attrs.items():
            head = set_attr(head, name, value)
        found = self._cache[key] = self._register(head + rest)
        return found

    def _register(self, xf: str) -> int:
        """The index of cell format ``xf``: one already in the file that is the same, or a new one."""
        found = self._known.get(_normal(xf))
        if found is None:
            found = len(self.xfs)
            self.xfs.append(xf)
            self.added["cellXfs"].append(xf)
            self._known[_normal(xf)] = found
        return found

    def wrapped(self, index: int) -> int:
        """Format ``index`` with its text wrapped and aligned to the top of the cell
        (``<alignment wrapText="1" vertical="top"/>``), so every line of a draft shows inside it."""
        key = (index, "wrapped")
        if key in self._cache:
            return self._cache[key]
        head, rest = self._xf_start(index)
        p = self.prefix
        head = set_attr(head, "applyAlignment", "1")
        m = re.search(rf"<{p}alignment\b[^>]*?/?>", rest)
        if m is not None:
            tag = set_attr(set_attr(m.group(0), "wrapText", "1"), "vertical", "top")
            rest = rest[: m.start()] + tag + rest[m.end() :]
        else:
            alignment = f'<{p}alignment wrapText="1" vertical="top"/>'
            if head.endswith("/>"):  # <xf .../>: open it
                head, rest = head[:-2].rstrip() + ">", alignment + f"</{p}xf>"
            else:  # alignment comes first among an xf's children
                rest = alignment + rest
        found = self._cache[key] = self._register(head + rest)
        return found

    def fill_id(self, index: int) -> int:
        head, _ = self._xf_start(index)
        return int(attr(head, "fillId") or 0)

    def with_fill(self, index: int, colour: str | None) -> int:
        """Format ``index`` with a solid ``colour`` background ("#RRGGBB"; None: no fill)."""
        if colour is None:
            if self.fill_id(index) == 0:
                return index
            return self._with(index, fillId="0")
        fill_id = self._fill_ids.get(colour)
        if fill_id is None:
            argb = "FF" + colour.lstrip("#").upper()
            p = self.prefix
            fill = (
                f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{argb}"/>'
                f'<{p}bgColor rgb="{argb}"/></{p}patternFill></{p}fill>'
            )
            fill_id = self._fill_ids[colour] = self._find_or_add("fills", self.fills, fill)
        return self._with(index, fillId=str(fill_id), applyFill="1")

    def with_date_format(self, index: int, code: str) -> int:
        """Format ``index``, given a date format ``code`` unless it already shows dates."""
        head, _ = self._xf_start(index)
        current = int(attr(head, "numFmtId") or 0)
        shown = self.codes.get(current) or BUILTIN_FORMATS.get(current)
        if shown and is_date_format(shown):
            return index
        fmt = self.formats.get(code)
        if fmt is None:
            fmt = max([163, *self._format_ids]) + 1
            self._format_ids.add(fmt)
            self.formats[code] = fmt
            self.codes[fmt] = code
            self.added["numFmts"].append(
                f'<{self.prefix}numFmt numFmtId="{fmt}" formatCode={quoteattr(code)}/>'
            )
        return self._with(index, numFmtId=str(fmt), applyNumberFormat="1")

    def bold(self, index: int = 0) -> int:
        """Format ``index`` with a bold font."""
        p = self.prefix
        font_id = self._find_or_add("fonts", self.fonts, f'<{p}font><{p}b val="1"/></{p}font>')
        return self._with(index, fontId=str(font_id), applyFont="1")

    def _find_or_add(self, parent: str, items: list[str], xml: str) -> int:
        want = _normal(xml)
        for i, item in enumerate(items):
            if _normal(item) == want:
                return i
        items.append(xml)
        self.added[parent].append(xml)
        return len(items) - 1

    @property
    def changed(self) -> bool:
        return any(self.added.values())

    def result(self) -> bytes:
        text = self.text
        p = self.prefix
        # In the order the schema has them, so each insertion finds its place unchanged.
        for parent, before in (
            ("numFmts", "fonts"),
            ("fonts", "fills"),
            ("fills", "borders"),
            ("cellXfs", "cellStyles"),
        ):
            new = self.added[parent]
            if not new:
                continue
            m = re.search(rf"<{p}{parent}\b[^>]*?(/?)>", text)
            if m is None:
                # no such list yet (numFmts is optional): add it where the schema wants it
                at = re.search(rf"<{p}({before}|fonts|fills|borders|cellStyleXfs|cellXfs)\b", text)
                if at is None:
                    raise Unusual(f"styles.xml has no place for {parent}")
                block = f'<{p}{parent} count="{len(new)}">' + "".join(new) + f"</{p}{parent}>"
                text = text[: at.start()] + block + text[at.start() :]
                continue
            count = len(self.xfs) if parent == "cellXfs" else len(self.fills) if parent == "fills" else None
            if parent == "fonts":
                count = len(self.fonts)
            if parent == "numFmts":
                count = len(self.format_list) + len(new)
            head = set_attr(m.group(0), "count", str(count))
            if m.group(1):  # <numFmts/>: open it
                head = head[:-2].rstrip() + ">"
                text = text[: m.start()] + head + "".join(new) + f"</{p}{parent}>" + text[m.end() :]
                continue
            close = text.index(f"</{p}{parent}", m.end())
            text = text[: m.start()] + head + text[m.end() : close] + "".join(new) + text[close:]
        return text.encode("utf-8")


def solid_colour(fill: Any) -> str | None:
    """An openpyxl fill's solid background as "#RRGGBB" (None: no fill, or no stable colour)."""
    if fill is None or fill.fill_type != "solid":
        return None
    colour = fill.fgColor
    if colour is None or colour.type != "rgb" or not isinstance(colour.rgb, str) or len(colour.rgb) < 6:
        return None  # theme and indexed colours: no stable RGB to compare
    return "#" + colour.rgb[-6:].upper()
