"""The metric registry: every figure defined once, computed by SQL over the columnar copy."""
