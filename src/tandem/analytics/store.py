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

_FRAMES = [f.name for f in fields(Facts) if f.name not in ("loaded_at", "known", "extra")]
#: Bumped whenever `Facts` changes shape, so a copy written by an older Tandem is not used.
FORMAT = 9


class FactsStore:
    """Parquet files of one database's facts in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

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
        try:
            frames = {n: pl.read_parquet(self.directory / f"{n}.parquet") for n in _FRAMES}
        except OSError:
            return None
        frames = {
            n: f.with_columns(
                pl.col(c).cast(pl.Categorical)
                for c in meta["categorical"].get(n, [])
                if c in f.columns
            )
            for n, f in frames.items()
        }
        try:  # the capabilities' own rows
            extra = {
                n: pl.read_parquet(self.directory / f"extra-{n}.parquet") for n in meta["extra"]
            }
        except OSError:
            return None
        return Facts(
            **frames,
            loaded_at=datetime.fromisoformat(meta["loaded_at"]),
            known=meta["known"],
            extra=extra,
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
        for name, frame in facts.extra.items():
            frame.write_parquet(self.directory / f"extra-{name}.parquet", compression="lz4")
        meta = {
            "format": FORMAT,
            "fingerprint": _plain(fingerprint),
            "loaded_at": facts.loaded_at.isoformat(),
            "known": facts.known,
            "categorical": categorical,
            "extra": sorted(facts.extra),
        }
        self._meta().write_text(json.dumps(meta))


def _plain(fingerprint: tuple[Any, ...]) -> list[str]:
    # Decimals, None and ints compare equal after a JSON round trip only as strings.
    return [str(v) for v in fingerprint]


def facts_store(settings: Settings) -> FactsStore:
    """The Parquet copy for the configured database, under TANDEM_DATA_DIR/analytics."""
    key = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return FactsStore(settings.data_dir / "analytics" / key)
