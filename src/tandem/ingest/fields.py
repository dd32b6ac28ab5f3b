"""What each import kind accepts: its fields, their types, which are required, its keys.

Pure data plus small helpers. Field names are Tandem's words; most equal a table column, the
`account_*`, `contact_*`, `owner_*`, `campaign*`, `asset*` ones are references resolved on write.
`custom.<name>` (contacts, accounts, opportunities) and `properties.<name>` (activities) land in
JSON columns.
"""

from dataclasses import dataclass, field

from tandem.activities import types as activity_types
from tandem.activities.channels import Channel
from tandem.contacts.buying_roles import BuyingRole
from tandem.content.journey import JourneyStage
from tandem.lifecycle.stages import Stage
from tandem.opportunities.stages import DealStage, DealType

KINDS_ORDER = (
    "accounts",
    "contacts",
    "activities",
    "campaigns",
    "assets",
    "opportunities",
    "contact_roles",
    "usage",
    "user_usage",
    "entitlements",
    "subscriptions",
)
ID_SEPARATOR = ";"  # between the ids of several associated records (HubSpot's exports)


@dataclass(frozen=True, slots=True)
class Field:
    """One importable field: `type` names the parser in `rows.PARSERS`."""

    name: str
    type: str = "text"
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    non_negative: bool = False


@dataclass(frozen=True)
class Kind:
    """An import kind: its fields, required groups (one of each group) and match keys in order."""

    name: str
    fields: dict[str, Field]
    required: tuple[tuple[str, ...], ...]
    keys: tuple[tuple[str, ...], ...]
    json_prefix: str | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def accepts(self, name: str) -> bool:
        """True for a known field or, where the kind has a JSON column, `<prefix>.<name>`."""
        if name in self.fields:
            return True
        return bool(self.json_prefix and name.startswith(self.json_prefix + ".") and name[1:])

    def key_of(self, record: dict[str, object]) -> str | None:
        """The first complete match key of a record, as text (the in-file duplicate check)."""
        for key in self.keys:
            values = [record.get(name) for name in key]
            if all(v not in (None, "") for v in values):
                parts = [str(v).lower() if isinstance(v, str) else str(v) for v in values]
                return "|".join((*key, *parts))
        return None


def _fields(*items: Field) -> dict[str, Field]:
    return {item.name: item for item in items}


def _t(name: str, max_length: int = 300) -> Field:
    return Field(name, "text", max_length)


# `ids` fields take several ids separated by `ID_SEPARATOR`: a record links to the first
# company named, a deal to every contact (the first is its primary contact).
_ACCOUNT_REFS = (
    _t("account_name"), Field("account_domain", "domain"), Field("account_external_id", "ids", 100)
)  # fmt: skip
_STAGES = tuple(s.value for s in Stage)
_CHANNELS = tuple(c.value for c in Channel)
_DEAL_TYPES = tuple(d.value for d in DealType)
_PERIODS = ("day", "week", "month")
_SUBSCRIPTION_KINDS = ("start", "renewal", "upgrade", "downgrade", "churn")

KINDS: dict[str, Kind] = {
    "accounts": Kind(
        "accounts",
        _fields(
            _t("external_id", 100), _t("name"), Field("domain", "domain"), _t("industry", 100),
            _t("employee_band", 20), Field("employees", "int", non_negative=True),
            _t("region", 50), Field("country", "country"),
            Field("annual_revenue", "decimal", non_negative=True), Field("owner_email", "email"),
            _t("owner_name", 200),
            Field("is_target", "bool"), _t("tier", 10),
        ),
        required=(("name",),),
        keys=(("external_id",), ("domain",), ("name",)),
        json_prefix="custom",
    ),
    "contacts": Kind(
        "contacts",
        _fields(
            Field("email", "email"), _t("external_id", 100), _t("first_name", 100),
            _t("last_name", 100), _t("title", 200), _t("job_level", 30), _t("phone", 50),
            Field("country", "country"), Field("lifecycle_stage", "choice", choices=_STAGES),
            Field("stage_entered_at", "datetime"), Field("created_at", "datetime"),
            *_ACCOUNT_REFS, Field("owner_email", "email"), _t("owner_name", 200),
            _t("first_touch_source", 100),
            _t("first_touch_medium", 100), _t("first_touch_campaign"),
            _t("first_touch_landing_page", 2000), Field("budget", "decimal", non_negative=True),
            _t("authority", 30), _t("need", 30), _t("timeline", 30), _t("buying_role", 20),
        ),
        required=(("email",),),
        keys=(("email",),),
        json_prefix="custom",
    ),
    "activities": Kind(
        "activities",
        _fields(
            _t("idempotency_key", 128), Field("contact_email", "email"),
            _t("contact_external_id", 100), Field("type", "activity_type"),
            Field("occurred_at", "datetime"), Field("channel", "choice", choices=_CHANNELS),
            _t("url", 2000), _t("campaign"), _t("asset", 2000), _t("source", 100),
        ),
        required=(("contact_email", "contact_external_id"), ("type",), ("occurred_at",)),
        keys=(("idempotency_key",),),
        json_prefix="properties",
    ),
    "campaigns": Kind(
        "campaigns",
        _fields(
            _t("external_id", 100), _t("name"), Field("channel", "choice", choices=_CHANNELS),
            _t("type", 40), Field("start_on", "date"), Field("end_on", "date"),
            Field("cost", "decimal", non_negative=True), _t("currency", 3),
        ),
        required=(("name",),),
        keys=(("external_id",), ("name",)),
    ),
    "assets": Kind(
        "assets",
        _fields(
            _t("external_id", 100), _t("title"), _t("type", 40),
            Field("journey_stage", "choice", choices=tuple(j.value for j in JourneyStage)),
            Field("personas", "tags", 60), Field("persona", "tags", 60),
            Field("buying_roles", "tags", 40), Field("products", "list", 100),
            _t("description", 5000), _t("url", 2000), Field("owner_email", "email"),
            _t("owner_name", 200), Field("published_on", "date"), Field("expires_on", "date"),
            Field("status", "choice", choices=("draft", "live", "archived")),
        ),
        required=(("title",), ("type",), ("journey_stage",)),
        keys=(("external_id",), ("url",), ("title",)),
    ),
    "opportunities": Kind(
        "opportunities",
        _fields(
            _t("external_id", 100), _t("name"), *_ACCOUNT_REFS, Field("contact_email", "email"),
            Field("contact_external_id", "ids", 100),
            Field("stage", "choice", choices=tuple(s.value for s in DealStage)),
            Field("amount", "decimal", non_negative=True), _t("currency", 3),
            Field("created_at", "datetime"), Field("expected_close_on", "date"),
            Field("closed_at", "datetime"), Field("is_won", "bool"), _t("lost_reason", 100),
            _t("product_line", 100), Field("deal_type", "choice", choices=_DEAL_TYPES),
            _t("segment", 50), _t("region", 50), _t("vertical", 100), Field("owner_email", "email"),
            _t("owner_name", 200), _t("source", 100), _t("rep_name", 200), _t("manager_name", 200),
            _t("team_name", 100),
        ),
        required=(("name",), ("stage",)),
        keys=(("external_id",), ("name", "account_name")),
        json_prefix="custom",
    ),
    "contact_roles": Kind(
        "contact_roles",
        _fields(
            _t("opportunity_external_id", 100), _t("contact_external_id", 100),
            Field("contact_email", "email"),
            Field("role", "choice", choices=tuple(r.value for r in BuyingRole)),
            Field("is_primary", "bool"),
        ),
        required=(("opportunity_external_id",), ("contact_external_id", "contact_email")),
        keys=(("opportunity_external_id", "contact_external_id"),
              ("opportunity_external_id", "contact_email")),
    ),
    "usage": Kind(
        "usage",
        _fields(
            *_ACCOUNT_REFS, _t("metric", 100), Field("value", "float", non_negative=True),
            Field("period_start", "date"), Field("period", "choice", choices=_PERIODS),
        ),
        required=(("account_name", "account_domain", "account_external_id"), ("metric",),
                  ("value",), ("period_start",)),
        keys=(("account_external_id", "metric", "period_start", "period"),
              ("account_domain", "metric", "period_start", "period"),
              ("account_name", "metric", "period_start", "period")),
    ),
    # A user of the product (a contact: email, external id or Tandem's id); the account is the
    # contact's unless given (`tandem.ingest.user_usage`).
    "user_usage": Kind(
        "user_usage",
        _fields(
            Field("contact_email", "email"), _t("contact_external_id", 100),
            Field("contact_id", "int", non_negative=True), *_ACCOUNT_REFS, _t("metric", 100),
            Field("value", "float", non_negative=True), Field("period_start", "date"),
            Field("period", "choice", choices=_PERIODS),
        ),
        required=(("contact_email", "contact_external_id", "contact_id"), ("metric",),
                  ("value",), ("period_start",)),
        keys=(("contact_email", "metric", "period_start", "period"),
              ("contact_external_id", "metric", "period_start", "period"),
              ("contact_id", "metric", "period_start", "period")),
    ),
    # Customer success (`tandem.usage`): what an account bought, and its subscription history.
    "entitlements": Kind(
        "entitlements",
        _fields(
            *_ACCOUNT_REFS, _t("metric", 100), _t("unit", 30),
            Field("allowance", "float", non_negative=True), _t("plan", 100),
            Field("contract_value", "decimal", non_negative=True), Field("renewal_on", "date"),
            Field("valid_from", "date"), Field("valid_to", "date"),
        ),
        required=(("account_name", "account_domain", "account_external_id"), ("metric",),
                  ("unit",), ("allowance",), ("valid_from",)),
        keys=(("account_external_id", "metric", "valid_from"),
              ("account_domain", "metric", "valid_from"),
              ("account_name", "metric", "valid_from")),
    ),
    "subscriptions": Kind(
        "subscriptions",
        _fields(
            *_ACCOUNT_REFS, Field("kind", "choice", choices=_SUBSCRIPTION_KINDS),
            Field("occurred_at", "datetime"), Field("mrr_before", "decimal", non_negative=True),
            Field("mrr_after", "decimal", non_negative=True), _t("plan", 100),
        ),
        required=(("account_name", "account_domain", "account_external_id"), ("kind",),
                  ("occurred_at",)),
        keys=(("account_external_id", "kind", "occurred_at"),
              ("account_domain", "kind", "occurred_at"),
              ("account_name", "kind", "occurred_at")),
    ),
}  # fmt: skip


def activity_type_keys() -> tuple[str, ...]:
    """The registered activity types (read at call time: plugins may register more)."""
    return tuple(t.key for t in activity_types.all_types())


def get_kind(name: str) -> Kind:
    """The kind called `name`; KeyError lists the kinds there are."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown kind {name!r} (kinds: {', '.join(KINDS_ORDER)})") from None


def split_ids(value: str | None) -> list[str]:
    """The ids in an `ids` value (`"101;102"`), in order, each once."""
    if not value:
        return []
    return list(dict.fromkeys(p.strip() for p in value.split(ID_SEPARATOR) if p.strip()))
