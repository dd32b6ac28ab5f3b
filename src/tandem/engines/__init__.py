"""Where the scan-everything analytics run: in-process DuckDB (the default) or Apache Spark.

The figures are defined once (`tandem.metrics.sql`, `tandem.engines.rescore_sql`,
`tandem.engines.rollup_sql`) and compiled to each engine's SQL through a `Dialect`; see
docs/scaling.md.
"""
