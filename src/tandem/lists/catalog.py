"""The four lists and their fields: contacts, accounts, deals and leads. Pure: keys, labels
and kinds only; `tandem.lists.sources` gives each key its SQL."""

from __future__ import annotations

from tandem.lifecycle.stages import Stage
from tandem.lists.spec import Field, Kind, ListSpec
from tandem.opportunities.stages import DealStage

STAGES = tuple(s.value for s in Stage)
SEGMENTS = ("smb", "mid_market", "enterprise")
GRADES = ("A", "B", "C", "D", "F")

_NAME = Field("name", "Name", Kind.TEXT)
_OWNER = Field("owner", "Owner", Kind.OWNER)
_SEGMENT = Field("segment", "Segment", Kind.CHOICE, SEGMENTS)
_REGION = Field("region", "Region", Kind.TEXT)
_TIER = Field("tier", "Tier", Kind.TEXT)
_LAST = Field("last_activity", "Last activity", Kind.DATE, costly=True)
_CREATED = Field("created", "Created", Kind.DATE)
_PERSON = (
    _NAME,
    Field("email", "Email", Kind.TEXT),
    Field("title", "Title", Kind.TEXT),
    Field("account", "Account", Kind.TEXT),
    Field("stage", "Stage", Kind.CHOICE, STAGES),
    _OWNER,
    Field("score", "Score", Kind.NUMBER),
    Field("grade", "Grade", Kind.CHOICE, GRADES),
    _SEGMENT,
    _REGION,
    _TIER,
    Field("country", "Country", Kind.TEXT),
    _LAST,
    _CREATED,
)

CONTACTS = ListSpec(
    name="contacts",
    title="Contacts",
    path="/contacts",
    entity="contact",
    fields=_PERSON,
    default_columns=("name", "email", "account", "stage", "score", "grade", "owner", "created"),
    default_sort="-created",
    stage_moves=True,
    record_path="/contacts/",
)

LEADS = ListSpec(
    name="leads",
    title="Leads",
    path="/leads",
    entity="contact",
    fields=(
        *_PERSON,
        Field("status", "Handoff", Kind.CHOICE, ("open", "accepted", "rejected", "closed")),
        Field("mql_at", "MQL on", Kind.DATE),
    ),
    default_columns=("name", "account", "stage", "status", "score", "grade", "owner", "mql_at"),
    default_sort="-mql_at",
    stage_moves=True,
    record_path="/contacts/",
)

ACCOUNTS = ListSpec(
    name="accounts",
    title="Accounts",
    path="/accounts",
    entity="account",
    fields=(
        _NAME,
        Field("domain", "Domain", Kind.TEXT),
        Field("industry", "Industry", Kind.TEXT),
        _SEGMENT,
        _REGION,
        _TIER,
        Field("stage", "Stage", Kind.TEXT),
        _OWNER,
        Field("score", "Score", Kind.NUMBER),
        Field("mqa", "MQA", Kind.CHOICE, ("yes", "no")),
        Field("people_engaged", "People engaged", Kind.NUMBER),
        _LAST,
        _CREATED,
    ),
    default_columns=(
        "name",
        "industry",
        "tier",
        "stage",
        "score",
        "mqa",
        "people_engaged",
        "owner",
    ),
    default_sort="-score",
    record_path="/accounts/",
)

DEALS = ListSpec(
    name="deals",
    title="Deals",
    path="/opportunities",
    entity="opportunity",
    fields=(
        _NAME,
        Field("account", "Account", Kind.TEXT),
        Field("stage", "Stage", Kind.CHOICE, tuple(s.value for s in DealStage)),
        Field("amount", "Amount", Kind.NUMBER),
        _OWNER,
        _SEGMENT,
        _REGION,
        Field("vertical", "Vertical", Kind.TEXT),
        Field("close", "Expected close", Kind.DATE),
        _CREATED,
    ),
    default_columns=("name", "account", "stage", "amount", "owner", "close"),
    default_sort="-created",
)

LISTS: dict[str, ListSpec] = {s.name: s for s in (CONTACTS, LEADS, ACCOUNTS, DEALS)}
