"""Markov chain attribution: removal effects solved exactly on the absorbing chain.

States are ``start``, the channel histories (the last `order` channels; just the channel for
order 1), ``conversion`` and ``null``. Transition probabilities are path counts normalised per
state: a path with c conversions and n nulls adds c + n to each of its transitions, c to its
last state -> conversion and n to -> null. P(conversion) is the absorption probability from
start, solved with one sparse linear system (no simulation). Removing a channel sends every
transition into a state whose current channel is that channel to null; the removal effect is
``1 - P(conversion without it) / P(conversion)``. Negative removal effects (removing a channel
helps) count as 0 when turned into shares. This matches the "exact" oracle of the reference
data and `mam`; ChannelAttribution estimates the same quantity by simulation.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tandem.attribution.batch import JourneyBatch
from tandem.attribution.channel_shares import channel_share_weights
from tandem.attribution.config import AttributionConfig
from tandem.attribution.paths import Paths
from tandem.attribution.registry import register

if TYPE_CHECKING:  # scipy is imported where it is used: importing the package stays quick
    from scipy import sparse


@dataclass(frozen=True, eq=False)
class MarkovAttribution:
    """Removal effects and channel-level attribution, as the reference packages report them."""

    channels: tuple[str, ...]
    conversion_probability: float
    removal_effects: np.ndarray
    shares: np.ndarray  # max(RE, 0) normalised to sum 1 (all 0 when nothing converts)
    conversions: np.ndarray  # total conversions x share
    value: np.ndarray  # total value x share


def markov_attribution(paths: Paths, *, order: int = 1) -> MarkovAttribution:
    """Fit the Markov chain of `order` on `paths` and compute every channel's removal effect."""
    from scipy import sparse

    last_channel, source, target, weight = _transitions(paths, order)
    n_states = len(last_channel) + 3  # start, histories, then conversion and null
    conversion = n_states - 2
    counts = sparse.coo_matrix((weight, (source, target)), shape=(n_states, n_states)).tocsr()
    out = np.asarray(counts.sum(axis=1)).ravel()
    scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    probability = sparse.diags(scale) @ counts
    transient = np.arange(conversion)
    q = probability[transient][:, transient]
    r = probability[transient][:, [conversion]].toarray().ravel()
    base = _absorb(q, r, np.ones(conversion, dtype=bool))
    effects = np.zeros(len(paths.channels))
    if base > 0:
        removed = _removals_at_once(q, r, last_channel, len(paths.channels))
        if removed is not None:
            effects = 1.0 - removed / base
        else:
            for channel in range(len(paths.channels)):
                keep = np.concatenate([[True], last_channel != channel])
                effects[channel] = 1.0 - _absorb(q, r, keep) / base
    positive = np.clip(effects, 0.0, None)
    shares = positive / positive.sum() if positive.sum() > 0 else positive
    return MarkovAttribution(
        channels=paths.channels,
        conversion_probability=base,
        removal_effects=effects,
        shares=shares,
        conversions=paths.conversions.sum() * shares,
        value=paths.value.sum() * shares,
    )


#: Largest chain whose removal effects come from one dense inverse (order 1, many channels).
DENSE_MAX_STATES = 4000


def _removals_at_once(
    q: "sparse.csr_matrix", r: np.ndarray, last_channel: np.ndarray, n_channels: int
) -> np.ndarray | None:
    """P(conversion) with each channel removed, from one inverse instead of one solve each.

    Applies when every channel owns exactly one state (order 1): removing the channel then
    drops the transitions into that one state s, a rank-one change of ``A = I - Q``, so by
    Sherman-Morrison ``h'_start = h_start - inv(A)[start, s] h_s / inv(A)[s, s]``. With 2,000
    channels (assets as touchpoints) this is one 2,000 x 2,000 inverse instead of 2,000
    sparse factorisations. None when it does not apply (higher orders, very large chains).
    """
    n = q.shape[0]
    owners = np.bincount(last_channel, minlength=n_channels) if len(last_channel) else None
    if n > DENSE_MAX_STATES or owners is None or len(owners) != n_channels or (owners != 1).any():
        return None
    inverse = np.linalg.inv(np.identity(n) - q.toarray())
    h = inverse @ r
    state = np.empty(n_channels, dtype=np.int64)
    state[last_channel] = np.arange(1, n)  # transient state k + 1 holds history k
    return h[0] - inverse[0, state] * h[state] / inverse[state, state]


def _absorb(q: "sparse.csr_matrix", r: np.ndarray, keep: np.ndarray) -> float:
    """P(absorbed in conversion | start) with only the `keep` transient states (start first).

    Dropping a state drops every transition into it, which is exactly "sent to null".
    """
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    index = np.flatnonzero(keep)
    q_kept = q[index][:, index]
    system = (sparse.identity(len(index), format="csc") - q_kept).tocsc()
    h = np.atleast_1d(spsolve(system, r[index]))
    return float(h[0])


def _transitions(paths: Paths, order: int) -> tuple:
    """Weighted transitions between state indices (start = 0, histories 1.., then absorbing)."""
    lengths = paths.lengths
    touched = lengths > 0
    path = paths.path_of_touch
    position = np.arange(len(paths.codes)) - np.repeat(paths.offsets[:-1], lengths)
    base = len(paths.channels) + 1
    history = np.zeros(len(paths.codes), dtype=np.int64)
    for lag in range(order):  # encode the last `order` channels; 0 pads before the path start
        shifted = np.zeros_like(history)
        shifted[lag:] = paths.codes[: len(paths.codes) - lag] + 1
        history += np.where(position >= lag, shifted, 0) * base**lag
    if base**order <= 1 << 24:  # compact the used histories by counting, not sorting
        used = np.bincount(history, minlength=base**order) > 0
        states = np.flatnonzero(used)
        state = (np.cumsum(used) - 1)[history] + 1
    else:
        states, state = np.unique(history, return_inverse=True)
        state = state + 1
    last_channel = states % base - 1
    n_transient = len(states) + 1
    trips = paths.conversions + paths.nulls
    first = position == 0
    previous = np.concatenate([[0], state[:-1]])
    source = np.where(first, 0, previous)
    ends = paths.offsets[1:][touched] - 1
    end_state = state[ends]
    source = np.concatenate([source, end_state, end_state])
    target = np.concatenate(
        [state, np.full(len(ends), n_transient), np.full(len(ends), n_transient + 1)]
    )
    weight = np.concatenate([trips[path], paths.conversions[touched], paths.nulls[touched]])
    return last_channel, source, target, weight


@register("markov")
def markov(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """Markov removal-effect shares over all journeys of the batch, split per journey."""
    fitted = markov_attribution(batch.to_paths(), order=config.markov.order)
    return channel_share_weights(batch, fitted.shares)
