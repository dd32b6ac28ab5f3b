"""The account fields target-list rules and account-score fit rules can name, with their kinds.

Unlike the lead score (which only warns), an unknown account field is an error: a list or a
score built on a typo would silently select nobody.
"""

from tandem.scoring.fields import OP_KINDS, FieldKind

#: Columns of the account, and figures Tandem derives for it (`service.account_rows`).
ACCOUNT_FIELDS: dict[str, FieldKind] = {
    "account.name": "text",
    "account.domain": "text",
    "account.industry": "text",
    "account.employee_band": "text",
    "account.employees": "number",
    "account.annual_revenue": "number",
    "account.region": "text",
    "account.country": "text",
    "account.tier": "any",
    "account.owner": "text",  # the owner's email
    # Derived: the stored account score and its parts, and open pipeline.
    "account.score": "number",
    "account.fit": "number",
    "account.engagement": "number",
    "account.intent": "number",
    "account.coverage": "number",
    "account.open_pipeline": "number",  # amount of open opportunities
    "account.open_deals": "number",
    "account.won_deals": "number",
}
#: Fields the account score's own fit rules may read (no derived score figures: no loop).
FIT_FIELDS = {
    k: v
    for k, v in ACCOUNT_FIELDS.items()
    if k.split(".")[1]
    in {
        "name",
        "domain",
        "industry",
        "employee_band",
        "employees",
        "annual_revenue",
        "region",
        "country",
        "tier",
    }
}

__all__ = ["ACCOUNT_FIELDS", "FIT_FIELDS", "OP_KINDS", "FieldKind"]
