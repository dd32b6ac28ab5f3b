"""Definitions as versioned records: routing rules, SLA policies and the definitions to come
(account score, health score, survey instruments, journey stages), proposed by one role,
approved by the other, diffed, audited, exported and imported as YAML."""
