"""The record forms: which inputs each shows, and a posted form read into its model with a
message per field (what is wrong, beside the field)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from tandem.contacts.buying_roles import BuyingRole
from tandem.lifecycle.stages import Stage
from tandem.opportunities.stages import LOST_REASONS, DealStage, DealType


@dataclass(frozen=True)
class Input:
    """One form input: `kind` is text, email, number, date, datetime, select, checkbox or
    textarea; `options` (value, label) for a select."""

    name: str
    label: str
    kind: str = "text"
    maxlength: int | None = None
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    hint: str = ""


def _choices(values: Any, blank: str | None = None) -> tuple[tuple[str, str], ...]:
    found = tuple((str(v), str(v).replace("_", " ")) for v in values)
    return ((("", blank),) if blank is not None else ()) + found


_MONEY = "not negative, at most 10,000,000,000,000, two decimals"
_ID = "a record number (from its page's address)"
CONTACT = (
    Input("email", "Email", "email", 254, required=True),
    Input("first_name", "First name", maxlength=100),
    Input("last_name", "Last name", maxlength=100),
    Input("title", "Title", maxlength=200),
    Input("phone", "Phone", maxlength=50),
    Input("country", "Country", maxlength=2, hint="two letters, e.g. DE"),
    Input("account_id", "Account", "number", hint=_ID),
    Input("owner_id", "Owner", "select"),
    Input("buying_role", "Buying role", "select", options=_choices(BuyingRole)),
    Input("budget", "Budget", "number", hint=_MONEY),
    Input("authority", "Authority", maxlength=30),
    Input("need", "Need", maxlength=30),
    Input("timeline", "Timeline", maxlength=30),
)
CONTACT_STAGE = (
    Input("lifecycle_stage", "Lifecycle stage", "select", options=_choices(Stage)),
    Input(
        "stage_reason",
        "Reason for the stage change",
        maxlength=500,
        hint="needed to move back to nurture, reopen or disqualify",
    ),
)
ACCOUNT = (
    Input("name", "Name", maxlength=300, required=True),
    Input("domain", "Domain", maxlength=253, hint="example.com"),
    Input("industry", "Industry", maxlength=100),
    Input("employees", "Employees", "number", hint="0 to 1,000,000,000"),
    Input("region", "Region", maxlength=50),
    Input("country", "Country", maxlength=2, hint="two letters, e.g. DE"),
    Input("annual_revenue", "Annual revenue", "number", hint=_MONEY),
    Input("owner_id", "Owner", "select"),
    Input("is_target", "Target account", "checkbox"),
    Input("tier", "Tier", maxlength=10),
)
DEAL = (
    Input("name", "Name", maxlength=300, required=True),
    Input("account_id", "Account", "number", required=True, hint=_ID),
    Input("primary_contact_id", "Primary contact", "number", hint=_ID),
    Input("amount", "Amount", "number", hint=_MONEY),
    Input("currency", "Currency", maxlength=3, hint="three letters; the workspace's if empty"),
    Input("expected_close_on", "Expected close", "date"),
    Input("deal_type", "Deal type", "select", options=_choices(DealType)),
    Input("product_line", "Product line", maxlength=100),
    Input("segment", "Segment", maxlength=50),
    Input("region", "Region", maxlength=50),
    Input("vertical", "Vertical", maxlength=100),
    Input("owner_id", "Owner", "select"),
)
DEAL_STAGE = (
    Input("stage", "Stage", "select", options=_choices(DealStage)),
    Input("lost_reason", "Lost reason", "select", options=_choices(LOST_REASONS, "–")),
    Input(
        "stage_reason",
        "Reason for the stage change",
        maxlength=500,
        hint="needed to reopen a closed deal",
    ),
)


def _worded(message: str) -> str:
    """Pydantic's message as the end of a sentence starting with the field's label ("Budget
    should be greater than or equal to 0")."""
    message = message.removeprefix("Value error, ")
    for subject in ("Input ", "String ", "Value ", "Decimal input "):
        if message.startswith(subject + "should"):
            return message.removeprefix(subject)
    return message


def read(model: type[BaseModel], form: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """(`model` built from the posted `form`, {}), or (None, {field: what is wrong}).
    Empty inputs are "not given"; an unticked checkbox is false."""
    try:
        return model.model_validate(form), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            message = _worded(str(error["msg"]))
            field = str(error["loc"][0]) if error["loc"] else "form"
            if field == "form" and ": " in message:  # a rule across fields names its field
                field, message = message.split(": ", 1)
            errors.setdefault(field, message)
        return None, errors


def posted(raw: Any, inputs: tuple[Input, ...]) -> dict[str, Any]:
    """The form's values for `inputs` (blank ones as None, checkboxes as booleans)."""
    values: dict[str, Any] = {}
    for spec in inputs:
        value = raw.get(spec.name)
        if spec.kind == "checkbox":
            values[spec.name] = value is not None
        elif isinstance(value, str):
            values[spec.name] = value if value.strip() else None
    return values
