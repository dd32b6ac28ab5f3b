"""The account engagement roll-up of the full account rescore on the engine chosen at start:
Polars in this process by default, the SQL of `rollup_sql` on Spark with
``TANDEM_ANALYTICS_ENGINE=spark``. What follows the roll-up is per account and stays here."""

import polars as pl

from tandem.accounts.rescore import rollup_frame
from tandem.accounts.score_model import AccountScoreModel
from tandem.engines.rollup_sql import rollup
from tandem.engines.run import KEPT, on_spark, spark_chosen


def chosen_rollup(
    model: AccountScoreModel, contacts: pl.LazyFrame, activities: pl.LazyFrame, as_of_us: int
) -> pl.DataFrame:
    """`rollup_frame`'s result from the chosen engine; a Spark failure is `EngineFailed`,
    raised before anything is stored."""
    if not spark_chosen():
        return rollup_frame(model, contacts, activities, as_of_us)
    return on_spark(
        "the account rescore",
        KEPT.format("account scores"),
        lambda build: rollup(build, model, contacts.collect(), activities.collect(), as_of_us),
    )
