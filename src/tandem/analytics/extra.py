"""Relations a capability adds to the columnar copy, declared in its manifest (`relations=`).

A capability that owns figures of its own (customers' retention, account stages) declares each
relation once: how to build it from the facts and, when it needs rows the facts do not hold,
how to read them from the store and what tells that they changed. The snapshot reads them, the
Parquet copy keeps them and the metric engine registers them beside the core relations, so
`tandem.analytics` never names another capability's tables.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Connection
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from tandem.analytics.frames import Facts


@dataclass(frozen=True)
class Relation:
    """One relation of the columnar copy.

    `build(facts)` returns the relation (pure). With `read`, the capability's own rows are read
    from the store into ``facts.extra[name]`` when the copy is made (`empty()` stands in where
    none were read), and `stamp(db_session)` is part of the copy's fingerprint.
    """

    name: str
    id_column: str
    build: Callable[["Facts"], pl.DataFrame]
    read: Callable[[Connection], pl.DataFrame] | None = None
    empty: Callable[[], pl.DataFrame] | None = None
    stamp: Callable[[Session], tuple[Any, ...]] | None = None

    def frame(self, facts: "Facts") -> pl.DataFrame:
        """The rows this relation read from the store, or none with their shape."""
        found = facts.extra.get(self.name)
        if found is not None and found.width:
            return found
        assert self.empty is not None, f"{self.name} reads rows but has no empty shape"
        return self.empty()


@cache
def declared() -> tuple[Relation, ...]:
    """Every relation the installed capabilities declare."""
    from tandem.capabilities import relation_definitions

    return tuple(relation_definitions())


def read_all(connection: Connection) -> dict[str, pl.DataFrame]:
    """The declared relations' own rows, by name (for the snapshot)."""
    return {r.name: r.read(connection) for r in declared() if r.read is not None}


def stamps(db_session: Session) -> tuple[Any, ...]:
    """The declared relations' parts of the copy's fingerprint."""
    return tuple(v for r in declared() if r.stamp is not None for v in r.stamp(db_session))
