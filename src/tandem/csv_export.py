"""CSV for spreadsheets, safe from formula injection (shared by every CSV export).

A spreadsheet runs a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) as a formula, so a campaign named ``=HYPERLINK(...)`` could act when someone opens the
export. Text cells starting that way get a leading apostrophe, which spreadsheets show as text.
Numbers are written as numbers: a negative amount is data, not a formula.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """The cell, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (header first) with every text cell neutralised; None becomes empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return buffer.getvalue()
