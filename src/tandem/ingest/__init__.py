"""Ingest: CSV imports (CRM and marketing-automation exports), the event API, quarantine.

Pure modules (`values`, `fields`, `mapping`, `rows`, `frames`, `report`) parse, map and validate;
`csvfile` and `chunks` read files; `store` (row by row) and `bulkwrite` + `setsql` (set-based, for
contacts and activities) write chunks; `jobs` runs resumable imports; `cli`, `api`, `pages` adapt.
"""
