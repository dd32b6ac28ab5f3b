"""Path tables: grouped journeys in the format analysts already have (ChannelAttribution's).

A path table has one row per channel path: ``path`` (channels joined by a separator, e.g.
``"eta > iota"``), ``total_conversions``, ``total_conversion_value`` and ``total_null`` (paths
that did not convert). The same path may appear on several rows; its rows are summed.
`parse_path_table` validates a frame of text cells and reports every bad cell by row and
field; `attribute_paths` gives each model's conversions and value per channel.

Channel totals follow the reference packages: the position models split each row's
conversions and value by their per-touch weights (a repeated channel gets several shares);
Markov gives total conversions (value) x removal effect / sum of removal effects; Shapley
gives each channel's Shapley value of conversions (value).
"""

import math
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from tandem.attribution import registry
from tandem.attribution.batch import DIMENSIONS, JourneyBatch
from tandem.attribution.config import AttributionConfig
from tandem.attribution.markov import markov_attribution
from tandem.attribution.paths import Paths
from tandem.attribution.shapley import Characteristic, ShapleyResult, shapley_values
from tandem.attribution.touchpoints import MILESTONES

COLUMNS: tuple[str, ...] = ("path", "total_conversions", "total_conversion_value", "total_null")
#: The models a path table supports by default. Path tables carry no times or milestones, so
#: time decay, W-shaped and full path cannot be computed from them.
PATH_MODELS: tuple[str, ...] = (
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "markov",
    "shapley",
)
#: Path-table model name -> registry model computing its per-touch weights.
_ALIASES = {"position_based": "u_shaped"}
# Separators analysts use; a path holding one of these but never `sep` was split wrongly.
_LOOKS_SEPARATED = re.compile(r"[\s>|,;/→]")
_MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class PathTableIssue:
    """One bad cell: `row` counts data rows from 1 (the header is line 1, row 1 is line 2)."""

    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row} (line {self.row + 1})" if self.row is not None else "header"
        return f"{where}, field {self.field}: {self.message}"


class PathTableError(ValueError):
    """The path table cannot be read; `issues` names each row and field."""

    def __init__(self, source: str, issues: list[PathTableIssue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        lines = [f"{source}: {issue}" for issue in issues[:_MAX_LISTED]]
        if len(issues) > _MAX_LISTED:
            lines.append(f"{source}: ... and {len(issues) - _MAX_LISTED} more problems")
        super().__init__("\n".join(lines))


def parse_path_table(frame: pl.DataFrame, *, sep: str = ">", source: str = "<table>") -> Paths:
    """Validate a path table (cells as text) into Paths, rows of the same path summed.

    Raises PathTableError listing every missing column, bad number and empty path.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        found = ", ".join(frame.columns) or "none"
        raise PathTableError(
            source,
            [PathTableIssue(None, c, f"column is missing (found: {found})") for c in missing],
        )
    if not sep:
        raise PathTableError(source, [PathTableIssue(None, "path", "the separator is empty")])
    frame = frame.select(pl.col(c).cast(pl.String) for c in COLUMNS)
    parts = frame["path"].str.split(sep).list.eval(pl.element().str.strip_chars())
    issues = [*_path_issues(frame["path"], parts, sep), *_number_issues(frame)]
    if issues:
        issues.sort(key=lambda i: (i.row or 0, COLUMNS.index(i.field)))
        raise PathTableError(source, issues)
    # Group on the channels joined by a control character (hashing a string is much faster
    # than hashing a list), in order of first appearance so that results are reproducible.
    grouped = (
        frame.with_columns(pl.col(c).str.strip_chars().cast(pl.Float64) for c in COLUMNS[1:])
        .with_columns(parts.list.join("\x1f").alias("path"))
        .group_by("path", maintain_order=True)
        .agg(pl.col(c).sum() for c in COLUMNS[1:])
    )
    split = grouped["path"].str.split("\x1f")
    tokens = split.explode()
    channels = tuple(sorted(tokens.unique().to_list()))
    codes = tokens.replace_strict({c: i for i, c in enumerate(channels)}, return_dtype=pl.Int32)
    offsets = np.zeros(grouped.height + 1, dtype=np.int64)
    np.cumsum(split.list.len().to_numpy(), out=offsets[1:])
    return Paths(
        channels=channels,
        offsets=offsets,
        codes=codes.to_numpy().astype(np.int32),
        conversions=grouped["total_conversions"].to_numpy(),
        nulls=grouped["total_null"].to_numpy(),
        value=grouped["total_conversion_value"].to_numpy(),
    )


def _path_issues(paths: pl.Series, parts: pl.Series, sep: str) -> list[PathTableIssue]:
    bad = (parts.is_null() | parts.list.eval(pl.element() == "").list.any()).to_numpy()
    issues = []
    for row in np.flatnonzero(bad) + 1:  # only the bad rows reach Python
        cells = parts[int(row) - 1]
        cells = [] if cells is None else cells.to_list()
        if not any(cells):
            issues.append(PathTableIssue(int(row), "path", "the path is empty"))
        else:
            text = paths[int(row) - 1]
            where = cells.index("") + 1
            issues.append(PathTableIssue(int(row), "path", f"channel {where} of {text!r} is empty"))
    if not paths.str.contains(sep, literal=True).any():
        looks = paths.str.strip_chars().str.contains(_LOOKS_SEPARATED.pattern).fill_null(False)
        if looks.any():
            row = int(looks.arg_max()) + 1
            issues.append(
                PathTableIssue(
                    row,
                    "path",
                    f"the separator {sep!r} occurs in no path (this one is {paths[row - 1]!r}); "
                    "pass the separator the paths use",
                )
            )
    return issues


def _number_issues(frame: pl.DataFrame) -> list[PathTableIssue]:
    issues = []
    for field in COLUMNS[1:]:
        text = frame[field].str.strip_chars()
        number = text.cast(pl.Float64, strict=False)
        bad = (text.fill_null("") == "") | number.is_null() | number.is_infinite() | number.is_nan()
        bad = (bad | (number < 0)).fill_null(True)
        for row in np.flatnonzero(bad.to_numpy()):  # only the bad cells reach Python
            raw, value = frame[field][int(row)], number[int(row)]
            if raw is None or not raw.strip():
                message = "the value is missing"
            elif value is None or not math.isfinite(value):
                message = f"{raw!r} is not a number"
            else:
                message = f"must not be negative, got {raw}"
            issues.append(PathTableIssue(int(row) + 1, field, message))
    return issues


def batch_from_paths(paths: Paths) -> JourneyBatch:
    """A JourneyBatch with one journey per path (no times, no milestones) for position models."""
    n, t = len(paths.offsets) - 1, len(paths.codes)
    touches = pl.DataFrame(
        {"opportunity_id": paths.path_of_touch, "activity_id": np.arange(t)}
    ).with_columns(pl.lit(None, pl.String).alias(d) for d in DIMENSIONS)
    position = np.arange(t) - np.repeat(paths.offsets[:-1], paths.lengths)
    return JourneyBatch(
        journeys=pl.DataFrame({"opportunity_id": np.arange(n)}),
        touches=touches,
        offsets=paths.offsets,
        channels=paths.channels,
        channel_code=paths.codes,
        milestone_mask=np.zeros(t, dtype=np.uint8),
        occurred_s=position.astype(np.float64),
        as_of_s=np.maximum(paths.lengths - 1, 0).astype(np.float64),
        amount_cents=np.zeros(n, dtype=np.int64),
        converted=paths.conversions > 0,
    )


def path_models(config: AttributionConfig) -> tuple[str, ...]:
    """Models a path table can be attributed with: PATH_MODELS plus position-only custom ones."""
    milestones = set(MILESTONES)
    custom = tuple(
        name
        for name, weights in config.custom_models.items()
        if not milestones.intersection(weights)
    )
    return PATH_MODELS + custom


def attribute_paths(
    paths: Paths, *, config: AttributionConfig, models: tuple[str, ...] = PATH_MODELS
) -> pl.DataFrame:
    """Conversions and value per channel and model: ``channel, model, conversions, value``.

    Rows follow `models` order, channels sorted within a model.
    """
    allowed = path_models(config)
    unknown = [m for m in models if m not in allowed]
    if unknown:
        raise ValueError(f"cannot attribute a path table with {unknown}; choose from {allowed}")
    frames = []
    for model in models:
        conversions, value = _channel_totals(paths, model, config)
        frames.append(
            pl.DataFrame(
                {
                    "channel": list(paths.channels),
                    "model": [model] * len(paths.channels),
                    "conversions": conversions,
                    "value": value,
                },
                schema={
                    "channel": pl.String,
                    "model": pl.String,
                    "conversions": pl.Float64,
                    "value": pl.Float64,
                },
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame()


def _channel_totals(
    paths: Paths, model: str, config: AttributionConfig
) -> tuple[np.ndarray, np.ndarray]:
    if model == "markov":
        fitted = markov_attribution(paths, order=config.markov.order)
        return fitted.conversions, fitted.value
    if model == "shapley":
        return _shapley_totals(paths, config)
    batch = batch_from_paths(paths)
    weights = registry.resolve(_ALIASES.get(model, model), config)(batch, config)
    journey = batch.journey_of_touch
    totals = np.bincount(journey, weights, minlength=len(paths.lengths))[journey]
    equal = 1.0 / np.repeat(np.maximum(paths.lengths, 1), paths.lengths)
    # A path on which a model puts no weight is split equally, as the credit engine does.
    share = np.where(totals > 0, weights / np.where(totals > 0, totals, 1.0), equal)
    size = len(paths.channels)
    return (
        np.bincount(paths.codes, share * paths.conversions[journey], minlength=size),
        np.bincount(paths.codes, share * paths.value[journey], minlength=size),
    )


def _shapley_totals(paths: Paths, config: AttributionConfig) -> tuple[np.ndarray, np.ndarray]:
    settings = config.shapley

    def fit(characteristic: Characteristic) -> ShapleyResult:
        return shapley_values(
            paths,
            characteristic=characteristic,
            exact_max_channels=settings.exact_max_channels,
            samples=settings.samples,
            seed=settings.seed,
        )

    if settings.characteristic == "conversion_rate":
        # Rates are not conversions: turn the shares into totals, as Markov does.
        shares = fit("conversion_rate").shares
        return paths.conversions.sum() * shares, paths.value.sum() * shares
    return fit("conversions").values, fit("value").values
