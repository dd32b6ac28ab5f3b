"""The account score backtest: at each date, the MQAs are the engine's (one account at a time)
and the deals that followed are counted by hand."""

from datetime import UTC, datetime, timedelta

import polars as pl

from tandem.accounts.backtest import backtest
from tandem.accounts.rescore import accounts_frame
from tandem.accounts.score import AccountFacts, Touch, score_account
from tandem.scoring.engine import epoch_us
from tests.accounts.test_score import MODEL

D0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_mqas_and_the_deals_that_followed():
    # Account 1: a busy committee in January, a deal in February. Account 2: busy in March, no
    # deal. Account 3: quiet, a deal in January (a deal without an MQA).
    touches = []
    for contact, role in ((11, "decision_maker"), (12, "champion"), (13, "economic_buyer")):
        touches += [(1, contact, role, D0 + timedelta(days=d)) for d in range(0, 20, 2)]
    for contact, role in ((21, "decision_maker"), (22, "champion"), (23, "technical_evaluator")):
        touches += [(2, contact, role, D0 + timedelta(days=60 + d)) for d in range(0, 20, 2)]
    fields = {
        1: {"account.industry": "software", "account.employees": 5000},
        2: {"account.industry": "software", "account.employees": 5000},
        3: {"account.industry": "retail", "account.employees": 10},
    }
    contacts = pl.DataFrame(
        sorted({(c, a, r) for a, c, r, _ in touches}),
        schema={"contact_id": pl.Int64, "account_id": pl.Int64, "role": pl.String},
        orient="row",
    )
    acts = pl.DataFrame(
        [(c, "meeting", epoch_us(t)) for _, c, _, t in touches],
        schema={"contact_id": pl.Int64, "type": pl.String, "t": pl.Int64},
        orient="row",
    )
    deals = pl.DataFrame(
        {
            "account_id": [1, 3],
            "created_us": [epoch_us(D0 + timedelta(days=40)), epoch_us(D0 + timedelta(days=10))],
        }
    )
    dates = [D0 + timedelta(days=d) for d in (25, 85)]
    rows = backtest(
        MODEL,
        accounts=accounts_frame(fields, ["account.employees", "account.industry"]),
        contacts=contacts.lazy(),
        activities=acts.lazy(),
        deals=deals,
        dates_us=[epoch_us(d) for d in dates],
        horizon_days=30,
    )
    for row, day in zip(rows, dates, strict=True):
        engine = {
            a: score_account(
                MODEL,
                AccountFacts(
                    a,
                    fields[a],
                    touches=[
                        Touch(c, "meeting", epoch_us(t)) for aa, c, _, t in touches if aa == a
                    ],
                    roles={c: r for aa, c, r, _ in touches if aa == a},
                ),
                as_of=day,
            ).is_mqa
            for a in fields
        }
        assert row.mqa == sum(engine.values())
    assert [(r.accounts, r.mqa, r.mqa_with_deal, r.others_with_deal) for r in rows] == [
        (3, 1, 1, 0),  # 26 Jan: account 1 is an MQA, its deal on 10 Feb is within 30 days
        (3, 2, 0, 0),  # 27 Mar: account 2 too (1's touches are inside 90 days); no deal follows
    ]
    assert rows[0].mqa_rate == 1.0 and rows[0].lift is None  # no other account got a deal
