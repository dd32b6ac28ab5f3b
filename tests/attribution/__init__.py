"""Tests of the pure attribution core (tandem.attribution)."""
