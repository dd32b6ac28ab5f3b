"""Turn the Olist marketing funnel (MQLs + closed deals) into one CSV with an outcome column,
for `tandem scoring train --csv`.

    .venv/bin/python examples/scoring/olist_leads.py ../shared/data/olist-marketing-funnel \
        /tmp/olist_leads.csv

Features known when the lead arrives: origin, landing page, and the contact date as weekday and
month. `won` is yes when the MQL has a closed deal. The deal's own columns (sales rep, won date,
segment...) are kept with `--with-deal-columns`, to show the leakage check naming them: they
only exist for won leads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl


def build(folder: Path, with_deal_columns: bool = False) -> pl.DataFrame:
    """One row per MQL with `won` yes/no."""
    mqls = pl.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv", try_parse_dates=True)
    deals = pl.read_csv(folder / "olist_closed_deals_dataset.csv", infer_schema_length=10_000)
    leads = mqls.join(
        deals.select(
            "mql_id", *(["sr_id", "won_date", "business_segment"] if with_deal_columns else [])
        ),
        on="mql_id",
        how="left",
    )
    won = pl.col("mql_id").is_in(deals["mql_id"].implode())
    return leads.with_columns(
        pl.col("first_contact_date").dt.strftime("%a").alias("weekday"),
        pl.col("first_contact_date").dt.strftime("%m").alias("month"),
        pl.when(won).then(pl.lit("yes")).otherwise(pl.lit("no")).alias("won"),
    ).drop("first_contact_date")


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    build(source, "--with-deal-columns" in sys.argv).write_csv(target)
    print(f"wrote {target}")
