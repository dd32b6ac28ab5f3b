"""Keep a copy of the dashboard facts as Parquet files, so a restart or a CLI run reads them in
a second instead of re-reading millions of rows from the database.

The copy is tagged with the store's fingerprint; it is used only while that still matches.
"""

import hashlib
import json
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from tandem.analytics.frames import Facts
from tandem.settings import Settings

_FRAMES = [f.name for f in fields(Facts) if f.name not in ("loaded_at", "known")]
#: Bumped whenever `Facts` changes shape, so a copy written by an older Tandem is not used.
FORMAT = 8


class FactsStore:
    """Parquet files of one database's facts in `directory`."""

    def __init__(self, directory: Path, only: tuple[str, ...] | None = None) -> None:
        self.directory = directory
        # Read only these frames (the others come back empty): the weekly review from the CLI
        # needs contacts, deals and campaigns, not the stays and the rollup.
        self.only = only

    def _meta(self) -> Path:
        return self.directory / "facts.json"

    def load(self, fingerprint: tuple[Any, ...]) -> Facts | None:
        """The stored facts if they were read at `fingerprint`, else None."""
        try:
            meta = json.loads(self._meta().read_text())
        except (OSError, ValueError):
            return None
        if meta.get("format") != FORMAT or meta.get("fingerprint") != _plain(fingerprint):
            return None
        wanted = [n for n in _FRAMES if self.only is None or n in self.only]
        try:
            frames = {n: pl.read_parquet(self.directory / f"{n}.parquet") for n in wanted}
        except OSError:
            return None
        frames |= {n: pl.DataFrame() for n in _FRAMES if n not in wanted}
        frames = {
            n: f.with_columns(
                pl.col(c).cast(pl.Categorical)
                for c in meta["categorical"].get(n, [])
                if c in f.columns
            )
            for n, f in frames.items()
        }
        return Facts(
            **frames, loaded_at=datetime.fromisoformat(meta["loaded_at"]), known=meta["known"]
        )

    def save(self, facts: Facts, fingerprint: tuple[Any, ...]) -> None:
        """Write the facts; the metadata goes last so a half-written copy is never used."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._meta().unlink(missing_ok=True)
        categorical = {}
        for name in _FRAMES:
            frame: pl.DataFrame = getattr(facts, name)
            categorical[name] = [c for c, t in frame.schema.items() if t == pl.Categorical]
            frame.write_parquet(self.directory / f"{name}.parquet", compression="lz4")
        meta = {
            "format": FORMAT,
            "fingerprint": _plain(fingerprint),
            "loaded_at": facts.loaded_at.isoformat(),
            "known": facts.known,
            "categorical": categorical,
        }
        self._meta().write_text(json.dumps(meta))


def _plain(fingerprint: tuple[Any, ...]) -> list[str]:
    # Decimals, None and ints compare equal after a JSON round trip only as strings.
    return [str(v) for v in fingerprint]


def facts_store(settings: Settings, only: tuple[str, ...] | None = None) -> FactsStore:
    """The Parquet copy for the configured database, under TANDEM_DATA_DIR/analytics."""
    key = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return FactsStore(settings.data_dir / "analytics" / key, only)
