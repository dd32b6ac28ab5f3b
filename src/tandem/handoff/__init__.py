"""The handoff from marketing to sales: lifecycle moves, routing, SLA clocks and reject reasons.

The cores (calendar, transitions, routing, sla, commitments, reasons, validation, next_step...)
are pure: plain typed inputs plus an explicit `as_of`, no database, web or clock access. Beside
them sit the adapters that store, schedule and serve them: models, runtime (config loading),
intake, escalate, tick, scheduler, service, queue, packet, mail, pages, api and the CLIs.
`tests/handoff/test_purity.py` keeps the two apart.
"""
