"""The handoff from marketing to sales: lifecycle moves, routing, SLA clocks and reject reasons.

Everything here is pure: plain typed inputs plus an explicit `as_of`, no database, web or clock
access. Storage, scheduling and HTTP live in the modules that call these functions.
"""
