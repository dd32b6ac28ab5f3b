"""Generated dashboard facts of any size, the same for a seed: what the engines are checked
and timed on (tests/metrics/test_engines.py, bench/engines_bench.py). Pure (NumPy, Polars).

Every relation of the metric registry has rows, with the awkward cases the figures must
survive: contacts jumping funnel stages (implied reaches), deals with unknown amounts and
creation dates, handoffs still waiting for an answer, subscriptions that churn.
"""

from datetime import UTC, datetime

import numpy as np
import polars as pl

from tandem.accounts import relation as accounts_relation
from tandem.analytics.frames import STAGES, TS, Facts, build_facts

T0 = datetime(2025, 1, 1, tzinfo=UTC)
#: The moment the generated facts are read at.
AS_OF = datetime(2026, 12, 1, 12, tzinfo=UTC)
DAY = 86_400
SEGMENTS = ["smb", "mid_market", "enterprise", None]
REGIONS = ["emea", "na", "apac", None]
VERTICALS = ["saas", "fintech", "health", "retail", None]
CHANNELS = ["email", "paid_search", "webinar", "organic_search", None]
CAMPAIGNS = ["spring", "summit", "retarget", None]
SOURCES = ["demo", "crm-import", "api"]


def _pick(rng: np.random.Generator, values: list, n: int) -> list:
    return [values[i] for i in rng.integers(0, len(values), n)]


def _moments(seconds: np.ndarray) -> pl.Series:
    """Epoch seconds (NaN: unknown) as UTC timestamps."""
    us = pl.Series(seconds * 1e6).fill_nan(None).cast(pl.Int64)
    return us.cast(TS)


def _dims(rng: np.random.Generator, n: int) -> dict[str, list]:
    return {
        "segment": _pick(rng, SEGMENTS, n),
        "region": _pick(rng, REGIONS, n),
        "vertical": _pick(rng, VERTICALS, n),
        "channel": _pick(rng, CHANNELS, n),
        "source": _pick(rng, SOURCES, n),
    }


def contacts_and_transitions(rng: np.random.Generator, n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Contacts walking the funnel, skipping a stage now and then; some MQLs sent back."""
    start = T0.timestamp()
    created = start + rng.integers(0, 650 * DAY, n).astype(float)
    depth = rng.integers(1, len(STAGES) + 1, n)
    k = np.arange(len(STAGES))
    taken = (k[None, :] < depth[:, None]) & (
        (rng.random((n, len(STAGES))) < 0.8) | (k[None, :] == depth[:, None] - 1)
    )
    steps = rng.integers(0, 30 * DAY, (n, len(STAGES))).astype(float)
    at = created[:, None] + np.cumsum(steps, axis=1)
    rows, cols = np.nonzero(taken)
    log = pl.DataFrame(
        {"contact_id": rows + 1, "to_stage": np.array(STAGES)[cols], "t": at[rows, cols]}
    ).sort("contact_id", "t")
    log = log.with_columns(from_stage=pl.col("to_stage").shift(1).over("contact_id"))
    last = log.group_by("contact_id").agg(pl.col("to_stage").last(), pl.col("t").last())
    # A third of the contacts left at MQL are sent back to nurture by sales, a day later.
    back = last.filter((pl.col("to_stage") == "mql") & (pl.col("contact_id") % 3 == 0))
    nurture = back.select(
        "contact_id",
        pl.lit("nurture").alias("to_stage"),
        (pl.col("t") + DAY).alias("t"),
        pl.lit("mql").alias("from_stage"),
    )
    log = pl.concat([log, nurture]).sort("contact_id", "t")
    state = log.group_by("contact_id").agg(
        pl.col("to_stage").last().alias("stage"), pl.col("t").last().alias("entered")
    )
    state = state.sort("contact_id")
    contacts = pl.DataFrame(
        {
            "contact_id": np.arange(1, n + 1),
            "owner_id": rng.integers(1, 9, n),
            "created_at": _moments(created),
            "campaign": _pick(rng, CAMPAIGNS, n),
            **_dims(rng, n),
        }
    ).join(
        state.select("contact_id", "stage", stage_entered_at=_moments(state["entered"].to_numpy())),
        on="contact_id",
    )
    transitions = log.select(
        pl.int_range(1, pl.len() + 1).alias("id"),
        "contact_id",
        "from_stage",
        "to_stage",
        at=_moments(log["t"].to_numpy()),
        reason=pl.when(pl.col("to_stage") == "nurture").then(pl.lit("timing")),
    )
    return contacts, transitions


def deals(rng: np.random.Generator, n: int, contacts: int) -> pl.DataFrame:
    """Opportunities: a tenth with no amount, a twentieth with no creation date."""
    created = T0.timestamp() + rng.integers(0, 680 * DAY, n).astype(float)
    closed = rng.random(n) < 0.6
    closed_at = np.where(closed, created + rng.integers(DAY, 150 * DAY, n), np.nan)
    amount = np.round(rng.integers(1, 200, n) * 500.0 + rng.random(n), 2)
    return pl.DataFrame(
        {
            "opportunity_id": np.arange(1, n + 1),
            "owner_id": rng.integers(1, 9, n),
            "contact_id": rng.integers(1, contacts + 1, n),
            "account_id": rng.integers(1, max(2, contacts // 10), n),
            "stage": _pick(rng, ["discovery", "proposal", "closed"], n),
            "amount": np.where(rng.random(n) < 0.1, np.nan, amount),
            "created_at": _moments(np.where(rng.random(n) < 0.05, np.nan, created)),
            "expected_close_on": _moments(created + 90 * DAY).dt.date(),
            "closed_at": _moments(closed_at),
            "is_closed": closed,
            "is_won": closed & (rng.random(n) < 0.4),
            "deal_type": _pick(rng, ["new", "upsell", "renewal"], n),
            "lead_source": _pick(rng, ["inbound", "sales_outreach", "partner", None], n),
            "lost_reason": [None] * n,
            "campaign": _pick(rng, CAMPAIGNS, n),
            "product": _pick(rng, ["core", "analytics", None], n),
            "rep": _pick(rng, ["ana", "bo", "cy"], n),
            "manager": _pick(rng, ["dee", "eli"], n),
            "team": _pick(rng, ["north", "south"], n),
            **_dims(rng, n),
        }
    ).with_columns(pl.col("amount").fill_nan(None))


def handoffs(rng: np.random.Generator, contacts: pl.DataFrame) -> pl.DataFrame:
    """One handoff per contact that reached MQL: answered, first touched, or still waiting."""
    mql = contacts.filter(pl.col("at_mql").is_not_null()).select("contact_id", "at_mql")
    n = mql.height
    t = mql["at_mql"].dt.epoch("s").to_numpy().astype(float)
    answer = t + rng.integers(60, 3 * DAY, n)
    accepted = rng.random(n) < 0.6
    rejected = ~accepted & (rng.random(n) < 0.5)
    touched = rng.random(n) < 0.7
    return pl.DataFrame(
        {
            "contact_id": mql["contact_id"],
            "mql_at": _moments(t),
            "clock_started_at": _moments(t + rng.integers(0, 3600, n)),
            "status": np.where(accepted, "accepted", np.where(rejected, "rejected", "waiting")),
            "accept_due_at": _moments(t + DAY),
            "first_touch_due_at": _moments(t + 2 * DAY),
            "accepted_at": _moments(np.where(accepted, answer, np.nan)),
            "rejected_at": _moments(np.where(rejected, answer, np.nan)),
            "first_touch_at": _moments(
                np.where(touched, t + rng.integers(600, 4 * DAY, n), np.nan)
            ),
            "reject_code": pl.Series(
                [("no_budget" if r else None) for r in rejected], dtype=pl.String
            ),
        }
    )


def subscriptions(rng: np.random.Generator, n: int, accounts: int) -> pl.DataFrame:
    """Changes of customers' subscriptions: starts, upgrades, downgrades, renewals, churn."""
    before = np.round(rng.integers(0, 50, n) * 100.0, 2)
    kind = np.array(_pick(rng, ["start", "upgrade", "downgrade", "renewal", "churn"], n))
    after = np.where(kind == "churn", 0.0, before + rng.integers(-20, 30, n) * 50.0)
    return pl.DataFrame(
        {
            "account_id": rng.integers(1, accounts + 1, n),
            "owner_id": rng.integers(1, 9, n),
            "kind": kind,
            "occurred_at": _moments(T0.timestamp() + rng.integers(0, 690 * DAY, n)),
            "mrr_before": np.where(kind == "start", 0.0, before),
            "mrr_after": np.maximum(after, 0.0),
            **{k: v for k, v in _dims(rng, n).items() if k in ("segment", "region", "vertical")},
        }
    )


def content(rng: np.random.Generator, n: int, contacts: int) -> pl.DataFrame:
    """Buyers viewing assets and reps sharing them."""
    share = rng.random(n) < 0.2
    return pl.DataFrame(
        {
            "kind": np.where(share, "share", "view"),
            "asset_id": rng.integers(1, 40, n),
            "contact_id": rng.integers(1, contacts + 1, n),
            "user_id": pl.Series(np.where(share, rng.integers(1, 9, n), -1)).replace(-1, None),
            "at": _moments(T0.timestamp() + rng.integers(0, 690 * DAY, n)),
            "asset_type": _pick(rng, ["ebook", "case_study", "webinar"], n),
            "journey_stage": _pick(rng, ["awareness", "consideration", "decision"], n),
            "activity_id": pl.Series(np.arange(1, n + 1)),
        }
    )


def accounts(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """The accounts relation: tiers, stages, scores, MQA moments (some unknown)."""
    mqa = rng.random(n) < 0.3
    touched = rng.random(n) < 0.8
    frame = pl.DataFrame(
        {
            "account_id": np.arange(1, n + 1),
            "tier": _pick(rng, ["1", "2", "3", "none"], n),
            "stage": _pick(rng, ["aware", "engaged", "opportunity", "customer"], n),
            "owner": [str(v) for v in rng.integers(1, 9, n)],
            "is_mqa": mqa.astype(np.int8),
            "mqa_s": np.where(mqa, T0.timestamp() + rng.integers(0, 690 * DAY, n), np.nan),
            "last_touch_s": np.where(
                touched, T0.timestamp() + rng.integers(0, 700 * DAY, n), np.nan
            ),
            "people_engaged": rng.integers(0, 12, n),
            "score": np.round(rng.random(n) * 100, 2),
            "coverage": np.round(rng.random(n), 4),
            **{k: [v or "unknown" for v in vs] for k, vs in _dims(rng, n).items()},
        }
    )
    frame = frame.with_columns(
        pl.col("mqa_s", "last_touch_s").fill_nan(None),
        is_target=(pl.col("tier") != "none").cast(pl.Int8),
        channel=pl.lit("unknown"),
    )
    return frame.select([pl.col(c).cast(t) for c, t in accounts_relation.SCHEMA.items()])


def _account_dims(rng: np.random.Generator, n: int) -> dict[str, list]:
    """An account's owner and dimensions as the customer relations read them."""
    dims = _dims(rng, n)
    return {"owner_id": rng.integers(1, 9, n),
            **{k: dims[k] for k in ("segment", "region", "vertical")}}  # fmt: skip


def renewals(rng: np.random.Generator, accounts: int) -> pl.DataFrame:
    """Renewal dates of customers' entitlements, around the moment read (some ended)."""
    n = max(1, accounts // 2)
    on = AS_OF.timestamp() + rng.integers(-60, 200, n) * DAY
    ended = rng.random(n) < 0.2
    return pl.DataFrame(
        {
            "account_id": rng.choice(np.arange(1, accounts + 1), n, replace=False),
            "renewal_on": _moments(on).dt.date(),
            "valid_to": _moments(np.where(ended, on - 30 * DAY, np.nan)).dt.date(),
            **_account_dims(rng, n),
        }
    )


def health(rng: np.random.Generator, accounts: int) -> pl.DataFrame:
    """Customers' latest health: a score and its band."""
    n = max(1, accounts // 2)
    score = np.round(rng.random(n) * 100, 1)
    return pl.DataFrame(
        {
            "account_id": rng.choice(np.arange(1, accounts + 1), n, replace=False),
            "scored_on": _moments(np.full(n, AS_OF.timestamp() - DAY)).dt.date(),
            "score": score,
            "band": np.where(score >= 70, "healthy", np.where(score < 40, "at_risk", "neutral")),
            **_account_dims(rng, n),
        }
    )


def account_stays(rng: np.random.Generator, accounts: int) -> pl.DataFrame:
    """Stays of accounts in journey stages, some still open, some followed by a deeper one."""
    n = accounts * 2
    entered = T0.timestamp() + rng.integers(0, 600 * DAY, n)
    closed = rng.random(n) < 0.7
    return pl.DataFrame(
        {
            "account_id": rng.integers(1, accounts + 1, n),
            "stage": _pick(rng, ["unaware", "aware", "engaged", "mqa", "opportunity"], n),
            "tier": _pick(rng, ["1", "2", "3", "none"], n),
            "entered_on": _moments(entered).dt.date(),
            "left_on": _moments(
                np.where(closed, entered + rng.integers(1, 90, n) * DAY, np.nan)
            ).dt.date(),
            "advanced": (closed & (rng.random(n) < 0.5)).astype(np.int8),
        }
    )


def account_handoffs(rng: np.random.Generator, accounts: int) -> pl.DataFrame:
    """Accounts handed to sales (MQAs, expansions, churn risks): answered or waiting."""
    n = max(1, accounts // 3)
    t = T0.timestamp() + rng.integers(0, 690 * DAY, n).astype(float)
    accepted = rng.random(n) < 0.6
    rejected = ~accepted & (rng.random(n) < 0.5)
    answer = t + rng.integers(60, 3 * DAY, n)
    dims = _dims(rng, n)
    return pl.DataFrame(
        {
            "account_id": rng.integers(1, accounts + 1, n),
            "subject": _pick(rng, ["account", "expansion", "churn_risk"], n),
            "status": np.where(accepted, "accepted", np.where(rejected, "rejected", "open")),
            "reject_code": [("no_budget" if r else None) for r in rejected],
            "tier": _pick(rng, ["1", "2", "none"], n),
            **{k: [v or "unknown" for v in dims[k]] for k in ("segment", "region", "vertical")},
            "channel": ["unknown"] * n,
            "source": ["unknown"] * n,
            "owner": [str(v) for v in rng.integers(1, 9, n)],
            "mql_s": t,
            "clock_started_s": t,
            "accept_due_s": t + DAY,
            "first_touch_due_s": t + 2 * DAY,
            "accepted_s": np.where(accepted, answer, np.nan),
            "rejected_s": np.where(rejected, answer, np.nan),
            "answered_s": np.where(accepted | rejected, answer, np.nan),
            "first_touch_s": np.where(accepted, answer + DAY, np.nan),
        }
    ).with_columns(pl.col(pl.Float64).fill_nan(None))


def pqls(rng: np.random.Generator, contacts: int, accounts: int) -> pl.DataFrame:
    """Product-qualified leads made MQLs: a twentieth of the contacts, on some plans."""
    n = max(1, contacts // 20)
    return pl.DataFrame(
        {
            "contact_id": rng.choice(np.arange(1, contacts + 1), n, replace=False),
            "account_id": rng.integers(1, accounts + 1, n),
            "rule_version": rng.integers(1, 3, n),
            "plan": _pick(rng, ["free", "team", "business", None], n),
            "at_s": T0.timestamp() + rng.integers(0, 690 * DAY, n).astype(float),
        }
    )


def facts(contacts: int, seed: int = 7) -> Facts:
    """Facts of `contacts` contacts (a twentieth as many deals, a tenth as many accounts)."""
    rng = np.random.default_rng(seed)
    people, log = contacts_and_transitions(rng, contacts)
    n_accounts = max(2, contacts // 10)
    built = build_facts(
        contacts=people,
        transitions=log,
        opportunities=deals(rng, max(1, contacts // 20), contacts),
        campaigns=pl.DataFrame(
            schema={"campaign_id": pl.Int64, "name": pl.String, "channel": pl.String}
        ),
        loaded_at=AS_OF,
        extra={  # the rows the capabilities' declared relations read
            "subscriptions": subscriptions(rng, max(1, contacts // 10), n_accounts),
            "content": content(rng, contacts, contacts),
            "accounts": accounts(rng, n_accounts),
            "pqls": pqls(rng, contacts, n_accounts),
            "renewals": renewals(rng, n_accounts),
            "health": health(rng, n_accounts),
            "account_stays": account_stays(rng, n_accounts),
            "account_handoffs": account_handoffs(rng, n_accounts),
        },
    )
    # Handoffs need the reach moments build_facts derives; the join adds the dimensions.
    dims = built.contacts.select("contact_id", "segment", "region", "vertical", "channel", "source")
    found = handoffs(rng, built.contacts).join(dims, on="contact_id", how="left")
    return Facts(**{**built.__dict__, "handoffs": found})
