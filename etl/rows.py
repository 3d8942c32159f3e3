"""Row counts and rejected rows, which each source module returns beside its typed rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    """An input row set aside, with where it came from and why.

    `line_no` is 1-based: the line of a log or CSV file, the row of a worksheet (header
    included), or the position in a database query's result. `raw` contains the original text,
    cut to 2,000 characters.
    """

    source: str
    file: str
    line_no: int | None
    reason: str
    column: str | None = None
    value: str | None = None
    raw: str | None = None


@dataclass
class SourceStats:
    """Row counts for one input file or query; read == loaded + bots + skipped + rejected."""

    source: str
    file: str
    read: int = 0
    loaded: int = 0
    bots: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    data_from: str | None = None
    data_to: str | None = None

    def reconciles(self) -> bool:
        accounted = self.loaded + self.bots + sum(self.skipped.values())
        return self.read == accounted + sum(self.rejected.values())
