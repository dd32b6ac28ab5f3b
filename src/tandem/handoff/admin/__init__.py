"""The handoff's part of the admin screens: the routing and SLA editors' preview."""
