"""Generated waves with planted gaps, for the demo, the tests and the benchmark. Pure.

Each audience answers every agreement statement meant for it around a centre (4 unless
planted otherwise): the centre with probability 0.7, one point either side with 0.15 each.
A split group answers the scale's two ends instead, half and half.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tandem.alignment.instrument import Instrument

Row = tuple[int, str, str, float | None]


def generate(
    inst: Instrument,
    respondents: Mapping[str, int],
    *,
    seed: int = 7,
    centres: Mapping[tuple[str, str], int] | None = None,
    split: Mapping[str, str] | None = None,
    centre: int = 4,
) -> list[Row]:
    """(respondent, audience, statement, answer) rows; `centres` maps (statement, audience) to
    a planted centre, `split` a statement to the audience split on it."""
    rng = np.random.default_rng(seed)
    centres = centres or {}
    split = split or {}
    lo, hi = inst.scale.min, inst.scale.max
    rows: list[Row] = []
    person = 0
    for audience, count in respondents.items():
        statements = [s for _, s in inst.scored() if audience in s.audiences]
        for _ in range(count):
            person += 1
            noise = rng.choice([-1, 0, 1], size=len(statements), p=[0.15, 0.7, 0.15])
            ends = rng.integers(0, 2, size=len(statements))
            for st, step, end in zip(statements, noise, ends, strict=True):
                if split.get(st.id) == audience:
                    value = hi if end else lo
                else:
                    value = int(np.clip(centres.get((st.id, audience), centre) + step, lo, hi))
                rows.append((person, audience, st.id, float(value)))
    return rows
