"""The usage capability's registry metrics. Pure."""

from tandem.metrics.spec import Metric

METRICS: tuple[Metric, ...] = ()
