"""The predictive scorecard as data: how columns become bins, and the fitted model.

Every column is binned (numbers at quantiles, text by its frequent values, a bin for missing) and
one-hot encoded; the model is a weight per bin, an intercept and an isotonic calibration map.
All of it is plain lists and numbers, so a model is stored as JSON, never a pickle. Pure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import sparse

_BINS = 10
_MAX_LEVELS = 30
MISSING, OTHER = "(missing)", "(other)"


Kind = Literal["numeric", "categorical"]
_MISSING_KEY = "\x00"  # stands for a missing text value inside numpy arrays


def kind_of(series: pl.Series) -> Kind:
    """Numbers and dates are binned at quantiles; everything else by value."""
    dtype = series.dtype
    temporal = dtype == pl.Date or isinstance(dtype, pl.Datetime)
    return "numeric" if dtype.is_numeric() or temporal else "categorical"


def values_of(series: pl.Series, kind: Kind) -> np.ndarray:
    """The column as numpy, once: floats with NaN for missing, or text with a missing marker.
    Training slices these arrays fold after fold instead of asking Polars each time."""
    if kind == "numeric":
        if series.dtype == pl.Date or isinstance(series.dtype, pl.Datetime):
            series = series.cast(pl.Datetime("us")).dt.epoch("d")
        return series.cast(pl.Float64).to_numpy().astype(float)
    return series.cast(pl.String).fill_null(_MISSING_KEY).to_numpy().astype(object)


@dataclass(frozen=True)
class ColumnCode:
    """How one source column becomes one-hot bins (JSON-storable)."""

    name: str
    kind: Kind
    edges: list[float] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)

    def labels(self) -> list[str]:
        """One readable name per bin, in encoding order (missing last)."""
        if self.kind == "categorical":
            return [f"{self.name} = {v}" for v in (*self.levels, OTHER, MISSING)]
        bounds = [-np.inf, *self.edges, np.inf]
        names = []
        for low, high in zip(bounds[:-1], bounds[1:], strict=True):
            if low == -np.inf:
                names.append(f"{self.name} < {high:g}")
            elif high == np.inf:
                names.append(f"{self.name} >= {low:g}")
            else:
                names.append(f"{self.name} in [{low:g}, {high:g})")
        return [*names, f"{self.name} {MISSING}"]

    def width(self) -> int:
        """Number of bins."""
        return len(self.levels) + 2 if self.kind == "categorical" else len(self.edges) + 2

    def codes(self, series: pl.Series) -> np.ndarray:
        """The bin index of every value of a column."""
        return self.codes_of(values_of(series, self.kind))

    def codes_of(self, values: np.ndarray) -> np.ndarray:
        """The bin index of every value of `values_of` output."""
        if self.kind == "categorical":
            other, missing = len(self.levels), len(self.levels) + 1
            lookup = {v: i for i, v in enumerate(self.levels)} | {_MISSING_KEY: missing}
            distinct, inverse = np.unique(values, return_inverse=True)
            mapped = np.array([lookup.get(v, other) for v in distinct], dtype=np.int64)
            return mapped[inverse.reshape(-1)]
        idx = np.searchsorted(np.asarray(self.edges, dtype=float), values, side="right")
        return np.where(np.isnan(values), len(self.edges) + 1, idx).astype(np.int64)


def fit_values(name: str, kind: Kind, values: np.ndarray) -> ColumnCode:
    """Bins for a column from its training rows (`values_of` output)."""
    if kind == "numeric":
        present = values[~np.isnan(values)]
        if present.size == 0:
            return ColumnCode(name, "numeric")
        quantiles = np.quantile(present, np.linspace(0, 1, _BINS + 1)[1:-1])
        edges = sorted({float(q) for q in quantiles} - {float(present.min())})
        return ColumnCode(name, "numeric", edges=edges)
    distinct, counts = np.unique(values[values != _MISSING_KEY], return_counts=True)
    floor = max(10, int(0.002 * len(values)))
    order = sorted(range(len(distinct)), key=lambda i: (-counts[i], str(distinct[i])))
    kept = [str(distinct[i]) for i in order if counts[i] >= floor][:_MAX_LEVELS]
    return ColumnCode(name, "categorical", levels=kept)


def fit_column(name: str, series: pl.Series) -> ColumnCode:
    """Bins for a column, learnt from training rows only."""
    kind = kind_of(series)
    return fit_values(name, kind, values_of(series, kind))


Prepared = dict[str, tuple[Kind, np.ndarray]]


def prepare(frame: pl.DataFrame) -> Prepared:
    """Every column of `frame` as numpy, with its kind."""
    return {c: (kind_of(frame[c]), values_of(frame[c], kind_of(frame[c]))) for c in frame.columns}


def _rows(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


@dataclass(frozen=True)
class Encoder:
    """All columns' bins; `transform` gives the sparse one-hot design matrix."""

    columns: list[ColumnCode]

    @classmethod
    def fit(cls, frame: pl.DataFrame) -> Encoder:
        """Learn each column's bins from `frame`."""
        return cls.fit_prepared(prepare(frame))

    @classmethod
    def fit_prepared(cls, table: Prepared, rows: np.ndarray | None = None) -> Encoder:
        """Learn each column's bins from the `rows` of a prepared table."""
        return cls([fit_values(c, k, _rows(v, rows)) for c, (k, v) in table.items()])

    def labels(self) -> list[str]:
        """Every bin's name, in matrix column order."""
        return [label for c in self.columns for label in c.labels()]

    def offsets(self) -> list[int]:
        """First matrix column of each source column."""
        out, at = [], 0
        for column in self.columns:
            out.append(at)
            at += column.width()
        return out

    def codes(self, frame: pl.DataFrame) -> np.ndarray:
        """rows x columns of matrix column indexes (one active bin per source column)."""
        return self.codes_prepared(
            {c.name: (c.kind, values_of(frame[c.name], c.kind)) for c in self.columns}
        )

    def codes_prepared(self, table: Prepared, rows: np.ndarray | None = None) -> np.ndarray:
        """`codes` of the `rows` of a prepared table."""
        return np.column_stack(
            [
                c.codes_of(_rows(table[c.name][1], rows)) + off
                for c, off in zip(self.columns, self.offsets(), strict=True)
            ]
        )

    def transform(self, frame: pl.DataFrame) -> sparse.csr_matrix:
        """The one-hot matrix of `frame`."""
        return self.one_hot(self.codes(frame))

    def one_hot(self, codes: np.ndarray) -> sparse.csr_matrix:
        """The one-hot matrix of `codes` output."""
        rows = np.repeat(np.arange(codes.shape[0]), codes.shape[1])
        width = sum(c.width() for c in self.columns)
        data = np.ones(codes.size)
        return sparse.csr_matrix((data, (rows, codes.ravel())), shape=(codes.shape[0], width))


@dataclass(frozen=True)
class TabularModel:
    """A fitted scorecard: bins, weights, intercept and the isotonic calibration map."""

    columns: list[ColumnCode]
    coef: list[float]
    intercept: float
    calibration_x: list[float]
    calibration_y: list[float]
    centers: list[float]  # each column's average contribution on the training rows

    @property
    def encoder(self) -> Encoder:
        """The bins as an encoder."""
        return Encoder(self.columns)

    def logits(self, frame: pl.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds."""
        return self.encoder.transform(frame) @ np.asarray(self.coef) + self.intercept

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probability of log-odds (the isotonic map, clipped at its ends)."""
        return np.interp(logits, self.calibration_x, self.calibration_y)

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        """Calibrated probability of the outcome per row."""
        return self.calibrate(self.logits(frame))

    def explain(self, frame: pl.DataFrame, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the `top` bins pushing it up and the `top` holding it back, with their pull
        on the log-odds relative to an average row."""
        codes = self.encoder.codes(frame)
        labels = self.encoder.labels()
        weights = np.asarray(self.coef)[codes] - np.asarray(self.centers)
        out = []
        for row_codes, row in zip(codes, weights, strict=True):
            order = np.argsort(row)
            ups = [(labels[row_codes[i]], float(row[i])) for i in order[::-1][:top] if row[i] > 0]
            downs = [(labels[row_codes[i]], float(row[i])) for i in order[:top] if row[i] < 0]
            out.append(ups + downs)
        return out

    def to_json(self) -> dict[str, Any]:
        """Storable form (plain lists and numbers)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TabularModel:
        """Load a stored model."""
        columns = [ColumnCode(**c) for c in data["columns"]]
        return cls(**{**data, "columns": columns})
