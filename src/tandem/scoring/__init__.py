"""Scoring as code: YAML scoring models, the pure scoring engine, bulk rescore and backtests.

Submodules are imported directly (`tandem.scoring.engine`, `tandem.scoring.rescore`, ...) so that
using the pure engine does not pull in Polars, scikit-learn or Typer.
"""
