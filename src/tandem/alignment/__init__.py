"""Alignment measured: survey instruments, waves, perception gaps, say versus do, indexes."""
