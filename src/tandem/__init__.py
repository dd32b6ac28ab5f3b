"""Tandem: one revenue engine that marketing and sales share."""

__version__ = "0.1.0"
