"""Ingest: CSV imports (CRM and marketing-automation exports), the event API, quarantine.

Pure modules (`values`, `fields`, `mapping`, `rows`, `report`) parse, map and validate; `csvfile`
reads files; `store` writes chunks; `jobs` runs resumable imports; `cli`, `api`, `pages` adapt.
"""
