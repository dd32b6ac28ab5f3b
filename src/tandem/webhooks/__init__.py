"""Outgoing webhooks: signed POSTs of stage changes, handoff answers, new MQLs, won deals and
usage signals to the URLs admins subscribe."""
