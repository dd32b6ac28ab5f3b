"""The contact and account fields fit rules can name, with the kind of value each holds.

A field outside this list still works (the warning only asks whether it is a typo): the
database layer passes whatever `contact.*` / `account.*` keys it has.
"""

from typing import Literal

FieldKind = Literal["text", "number", "bool", "any"]

KNOWN_FIELDS: dict[str, FieldKind] = {
    "contact.job_level": "text",
    "contact.job_function": "text",
    "contact.title": "text",
    "contact.budget": "number",  # the stated budget amount (BANT)
    "contact.authority": "text",
    "contact.need": "text",
    "contact.timeline": "text",
    "contact.country": "text",
    "contact.email_domain": "text",
    "contact.lead_source": "text",
    "contact.persona": "text",
    "account.industry": "text",
    "account.employee_band": "text",
    "account.employees": "number",
    "account.annual_revenue": "number",
    "account.region": "text",
    "account.country": "text",
    "account.is_target": "bool",
    "account.tier": "any",
    "account.domain": "text",
    "account.name": "text",
    "contact.buying_role": "text",
    "contact.lead_medium": "text",
}

#: Which field kinds each operator can match.
OP_KINDS: dict[str, set[FieldKind]] = {
    "equals": {"text", "number", "bool", "any"},
    "in": {"text", "number", "bool", "any"},
    "range": {"number", "any"},
    "regex": {"text", "any"},
    "exists": {"text", "number", "bool", "any"},
}
