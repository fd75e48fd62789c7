"""Make an Office (OOXML) zip file byte-deterministic: fixed entry times and core dates."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

__all__ = ["normalise_ooxml"]

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def normalise_ooxml(path: Path, stamp: str) -> None:
    """Rewrite an OOXML file so the same content always gives the same bytes.

    Zip entry times are set to a fixed value, entries keep their order, and the
    created/modified dates in ``docProps/core.xml`` are set to ``stamp``, a date
    taken from the report (never the clock).

    Args:
        path: the .docx or .xlsx file, rewritten in place.
        stamp: a W3CDTF timestamp, e.g. ``"2023-12-31T00:00:00Z"``.
    """
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    replacement = rb"\g<1>" + stamp.encode("ascii") + rb"\g<3>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_DATES.sub(replacement, data)
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
