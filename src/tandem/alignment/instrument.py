"""A survey instrument as code: dimensions, statements, audiences, weights, tied metrics. Pure.

The YAML is read through `tandem.yaml_source` (lines kept), built into frozen pydantic models
(`extra="forbid"`), then checked one concern per function; every issue names `file:line`.
Metric names are passed in (`known_metrics`), so this module reads no registry itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, Literal

from pydantic import Field, ValidationError

from tandem.definitions.base import ConfigModel, Issue, Level, Loc, error
from tandem.yaml_source import YamlSyntaxError, nearest_line, parse_document

AUDIENCES = ("marketing", "sales", "customer")
Audience = Literal["marketing", "sales", "customer"]
#: Weights summing to one are compared with this tolerance (YAML holds decimals like 0.15).
TOLERANCE = 1e-6
#: The four bands of an index, from the published diagnostics: (lowest score, name).
BANDS = ((0.0, "undefined"), (25.0, "defined"), (50.0, "aligned"), (75.0, "integrated"))


class Scale(ConfigModel):
    """The agreement scale: `min`..`max` whole points, a label per point."""

    min: int = 1
    max: int = 5
    labels: tuple[str, ...] = (
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    )


class Statement(ConfigModel):
    """One item: what is asked, who answers it, how, and the metric that measures the same."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    text: str = Field(min_length=3, max_length=400)
    type: Literal["agreement", "text"] = "agreement"
    audiences: tuple[Audience, ...]
    wording: dict[Audience, str] = {}  # the text as one audience reads it
    weight: float | None = Field(default=None, gt=0)
    reverse: bool = False  # agreeing is the misaligned answer ("we argue about lead quality")
    metric: str | None = None

    def text_for(self, audience: str) -> str:
        return self.wording.get(audience, self.text)  # type: ignore[call-overload]


class Dimension(ConfigModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: str
    weight: float = Field(gt=0, le=1)
    statements: tuple[Statement, ...] = Field(min_length=1)


class DataComponent(ConfigModel):
    """A registry metric in the data index: a percent scores its share; hours and days score
    100 at `best` and 0 at `worst`, linearly between."""

    metric: str
    weight: float = Field(gt=0, le=1)
    best: float | None = None
    worst: float | None = None


class IndexWeights(ConfigModel):
    survey: float = Field(default=0.5, ge=0, le=1)
    data: float = Field(default=0.5, ge=0, le=1)


class Instrument(ConfigModel):
    title: str
    intro: str = ""
    scale: Scale = Scale()
    min_group: int = Field(default=5, ge=2, le=1000)
    index: IndexWeights = IndexWeights()
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    data_index: tuple[DataComponent, ...] = ()

    def statements(self) -> Iterator[tuple[Dimension, Statement]]:
        for dimension in self.dimensions:
            for statement in dimension.statements:
                yield dimension, statement

    def statement(self, statement_id: str) -> Statement | None:
        return next((s for _, s in self.statements() if s.id == statement_id), None)

    def audiences(self) -> tuple[str, ...]:
        """The audiences some item is for, in the canonical order."""
        used = {a for _, s in self.statements() for a in s.audiences}
        return tuple(a for a in AUDIENCES if a in used)

    def scored(self) -> list[tuple[Dimension, Statement]]:
        """The agreement statements (the ones with a score), with their dimension."""
        return [(d, s) for d, s in self.statements() if s.type == "agreement"]


def band(score: float | None) -> str | None:
    """The band an index score falls in (None for no score)."""
    if score is None:
        return None
    return [name for low, name in BANDS if score >= low][-1]


# --- checks: one per concern ------------------------------------------------------------------


def _audiences(inst: Instrument) -> Iterable[Issue]:
    for d, dim in enumerate(inst.dimensions):
        for s, st in enumerate(dim.statements):
            loc: Loc = ("dimensions", d, "statements", s)
            if not st.audiences:
                yield error((*loc, "audiences"), f"statement {st.id!r} is for no audience")
            if len(set(st.audiences)) != len(st.audiences):
                yield error((*loc, "audiences"), f"statement {st.id!r} names an audience twice")
            for audience in st.wording:
                if audience not in st.audiences:
                    yield error(
                        (*loc, "wording", audience),
                        f"wording for {audience}, who do not answer {st.id!r}",
                    )


def _ids(inst: Instrument) -> Iterable[Issue]:
    seen: set[str] = set()
    dims: set[str] = set()
    for d, dim in enumerate(inst.dimensions):
        if dim.id in dims:
            yield error(("dimensions", d, "id"), f"dimension {dim.id!r} is declared twice")
        dims.add(dim.id)
        for s, st in enumerate(dim.statements):
            if st.id in seen:
                yield error(
                    ("dimensions", d, "statements", s, "id"),
                    f"statement id {st.id!r} is used twice",
                )
            seen.add(st.id)


def _sums(values: list[float]) -> bool:
    return abs(sum(values) - 1.0) <= TOLERANCE


def _weights(inst: Instrument) -> Iterable[Issue]:
    dims = [d.weight for d in inst.dimensions]
    if not _sums(dims):
        yield error(("dimensions",), f"the dimensions' weights sum to {sum(dims):g}, not 1")
    for d, dim in enumerate(inst.dimensions):
        given = [s.weight for s in dim.statements if s.type == "agreement"]
        if any(w is not None for w in given):
            if any(w is None for w in given):
                yield error(
                    ("dimensions", d, "statements"),
                    f"dimension {dim.id!r}: give every agreement statement a weight, or none",
                )
            elif not _sums([w for w in given if w is not None]):
                total = sum(w for w in given if w is not None)
                yield error(
                    ("dimensions", d, "statements"),
                    f"dimension {dim.id!r}: the statements' weights sum to {total:g}, not 1",
                )
        if not any(s.type == "agreement" for s in dim.statements):
            yield error(
                ("dimensions", d, "statements"),
                f"dimension {dim.id!r} has no agreement statement to score",
            )
        for s, st in enumerate(dim.statements):
            if st.type == "text" and (st.weight is not None or st.metric or st.reverse):
                yield error(
                    ("dimensions", d, "statements", s),
                    f"statement {st.id!r} is free text: it takes no weight, metric or reverse",
                )
    if inst.data_index:
        parts = [c.weight for c in inst.data_index]
        if not _sums(parts):
            yield error(("data_index",), f"the data index weights sum to {sum(parts):g}, not 1")
    if not _sums([inst.index.survey, inst.index.data]):
        yield error(("index",), "the survey and data weights of the index must sum to 1")
    if inst.index.data > 0 and not inst.data_index:
        yield error(("index", "data"), "the index weighs data but no data_index is given")


def _scale(inst: Instrument) -> Iterable[Issue]:
    points = inst.scale.max - inst.scale.min + 1
    if points < 2 or points > 11:
        yield error(("scale",), "the scale has 2 to 11 points (min below max)")
    elif len(inst.scale.labels) != points:
        yield error(
            ("scale", "labels"),
            f"the scale has {points} points but {len(inst.scale.labels)} labels",
        )


def _metrics(inst: Instrument, known: Collection[str], units: dict[str, str]) -> Iterable[Issue]:
    for d, dim in enumerate(inst.dimensions):
        for s, st in enumerate(dim.statements):
            if st.metric is not None and st.metric not in known:
                yield error(
                    ("dimensions", d, "statements", s, "metric"),
                    f"statement {st.id!r} is tied to unknown metric {st.metric!r} "
                    "(see `tandem metrics list`)",
                )
    for c, comp in enumerate(inst.data_index):
        loc: Loc = ("data_index", c)
        if comp.metric not in known:
            yield error((*loc, "metric"), f"unknown metric {comp.metric!r}")
            continue
        unit = units.get(comp.metric)
        if unit == "percent":
            if comp.best is not None or comp.worst is not None:
                yield error(loc, f"{comp.metric} is a share: it scores itself (no best/worst)")
        elif comp.best is None or comp.worst is None or comp.best == comp.worst:
            yield error(
                loc, f"{comp.metric} is in {unit}: give the `best` and `worst` values (different)"
            )


# --- loading ----------------------------------------------------------------------------------


def _validation_issues(exc: ValidationError) -> list[Issue]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("[")))
        if err["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see docs/alignment.md)"
        elif err["type"] == "missing":
            message = "required field is missing"
        else:
            message = err["msg"].removeprefix("Value error, ")
        out.append(error(loc, message))
    return out


def parse(
    text: str,
    file: str = "<survey>",
    *,
    known_metrics: Collection[str],
    units: dict[str, str] | None = None,
) -> tuple[Instrument | None, list[Issue]]:
    """The instrument in `text` and every issue at `file:line` (None when it cannot be built)."""
    try:
        doc = parse_document(text, file)
    except YamlSyntaxError as exc:
        return None, [
            Issue(
                level=Level.ERROR, message=f"invalid YAML: {exc.problem}", file=file, line=exc.line
            )
        ]
    if doc.data is None:
        return None, [Issue(level=Level.ERROR, message="the file is empty", file=file, line=1)]

    def located(issues: Iterable[Issue]) -> list[Issue]:
        return [
            i.model_copy(update={"file": file, "line": nearest_line(doc.lines, i.loc)})
            for i in issues
        ]

    found = [
        error(loc, f"duplicate key {loc[-1]!r} (the later value would win)")
        for loc, _ in doc.duplicates
    ]
    data: Any = doc.data
    try:
        inst = Instrument.model_validate(data)
    except ValidationError as exc:
        return None, located([*found, *_validation_issues(exc)])
    found += [
        *_audiences(inst),
        *_ids(inst),
        *_weights(inst),
        *_scale(inst),
        *_metrics(inst, known_metrics, units or {}),
    ]
    issues = located(found)
    return inst, sorted(issues, key=lambda i: (i.line or 0, i.message))
