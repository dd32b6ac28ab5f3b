"""Find (or create) the rows records refer to: accounts, contacts, campaigns, assets, owners.

Matching rules: contacts by normalised email, then external id; accounts by external id, then
domain (normalised, subdomains stripped), then name (case-insensitive). A contact without an
account is linked to the account owning its email's domain; free-mail domains never make or
match accounts. Lookups are batched and cached for the life of one writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.content.models import Asset
from tandem.ingest import links, values
from tandem.ingest.fields import split_ids
from tandem.ingest.upsert import Key, find, upsert

ACCOUNTS = Account.__table__
CONTACTS = Contact.__table__
CAMPAIGNS = Campaign.__table__
ASSETS = Asset.__table__
ACCOUNT_KEYS = (Key(("external_id",)), Key(("domain",)), Key(("name",), True, unique=False))
CONTACT_KEYS = (Key(("email",)), Key(("external_id",)))
CAMPAIGN_KEYS = (Key(("external_id",)), Key(("name",), folded=True))
CACHE_LIMIT = 2_000_000  # ids kept per cache; cleared (not evicted one by one) when exceeded


@dataclass(frozen=True)
class AccountRef:
    """What a record says about its account. `domain` may come from the contact's email, in
    which case it only matches (`explicit` False): an email alone never creates an account."""

    external_id: str | None = None
    domain: str | None = None
    name: str | None = None
    explicit: bool = False

    @classmethod
    def of(cls, record: dict[str, Any], email_field: str | None = None) -> AccountRef | None:
        domain, explicit = record.get("account_domain"), True
        if domain and domain in values.FREE_MAIL:
            domain = None
        if domain is None and email_field and record.get(email_field):
            domain, explicit = values.company_domain(record[email_field]), False
        ids = split_ids(record.get("account_external_id"))
        ref = cls(ids[0] if ids else None, domain, record.get("account_name"), explicit)
        return ref if (ref.external_id or ref.domain or ref.name) else None


class _Cache(dict[Any, int]):
    def put(self, key: Any, value: int) -> None:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        self[key] = value


class Resolver:
    """Batched, cached lookups of referenced rows on one connection; the accounts and contacts
    it creates get `source_id` (the writer's source)."""

    def __init__(self, connection: Connection, source_id: int | None = None) -> None:
        self.connection = connection
        self.source_id = source_id
        self.accounts = [_Cache(), _Cache(), _Cache()]  # by external id, domain, folded name
        self.contacts = _Cache()
        self.contacts_ext = _Cache()
        self.campaigns: _Cache = _Cache()
        self.assets: _Cache = _Cache()
        self.has_asset_urls: bool | None = None  # asked once per import or request
        self.not_assets: set[str] = set()  # URLs known to be no asset's
        self.users: dict[str, int | None] = {}
        self.created: dict[str, int] = {}

    def _count(self, what: str, n: int) -> None:
        if n:
            self.created[what] = self.created.get(what, 0) + n

    def account_ids(self, refs: list[AccountRef | None], create: bool) -> list[int | None]:
        """The account of each ref (None when there is none); creates named ones if asked."""
        for n, key in enumerate(ACCOUNT_KEYS):
            field = ("external_id", "domain", "name")[n]
            wanted = {
                (getattr(r, field).lower() if key.folded else getattr(r, field),)
                for r in refs
                if r is not None and getattr(r, field)
            }
            wanted = {w for w in wanted if w[0] not in self.accounts[n]}
            for (value,), row in find(self.connection, ACCOUNTS, key, wanted, True).items():
                self.accounts[n].put(value, row["id"])
            if n == 0:  # an id merged into another account leads to the one kept
                rest = {w[0] for w in wanted if w[0] not in self.accounts[0]}
                kept = links.merged_ids(self.connection, "accounts", rest)
                for value, account_id in kept.items():
                    self.accounts[0].put(value, account_id)
        out = [self._cached_account(r) for r in refs]
        if create:
            todo = [i for i, r in enumerate(refs) if out[i] is None and r and _creatable(r)]
            rows = [self._sourced(_account_row(refs[i])) for i in todo]  # type: ignore[arg-type]
            results = upsert(self.connection, ACCOUNTS, rows, ACCOUNT_KEYS) if rows else []
            for i, row, result in zip(todo, rows, results, strict=True):
                if result.status != "conflict":
                    out[i] = result.id
                    self._remember_account(row, result.id)
            self._count("accounts", sum(r.status == "new" for r in results))
        return out

    def _sourced(self, row: dict[str, Any]) -> dict[str, Any]:
        # Only rows this resolver inserts carry it (it found no match for them).
        return row if self.source_id is None else {**row, "source_id": self.source_id}

    def knows_account(self, external_id: str) -> bool:
        """An account has (or was merged from) this external id: `account_ids` found it."""
        return external_id in self.accounts[0]

    def _cached_account(self, ref: AccountRef | None) -> int | None:
        if ref is None:
            return None
        for n, value in enumerate((ref.external_id, ref.domain, (ref.name or "").lower())):
            if value and value in self.accounts[n]:
                return self.accounts[n][value]
        return None

    def _remember_account(self, row: dict[str, Any], account_id: int) -> None:
        for n, field in enumerate(("external_id", "domain", "name")):
            if row.get(field):
                self.accounts[n].put(row[field].lower() if n == 2 else row[field], account_id)

    def contact_ids(self, emails: set[str], create: bool) -> dict[str, int]:
        """Contact id by email; unknown emails become contacts (linked by email domain)."""
        missing = {e for e in emails if e not in self.contacts}
        for (email,), row in find(
            self.connection, CONTACTS, CONTACT_KEYS[0], {(e,) for e in missing}, True
        ).items():
            self.contacts.put(email, row["id"])
        new = sorted(e for e in missing if e not in self.contacts)
        if create and new:
            accounts = self.account_ids([AccountRef.of({"email": e}, "email") for e in new], False)
            rows = [
                self._sourced({"email": e, "account_id": a})
                for e, a in zip(new, accounts, strict=True)
            ]
            results = upsert(self.connection, CONTACTS, rows, CONTACT_KEYS[:1])
            for email, result in zip(new, results, strict=True):
                self.contacts.put(email, result.id)
            self._count("contacts", sum(r.status == "new" for r in results))
        return {e: self.contacts[e] for e in emails if e in self.contacts}

    def contact_ids_by_external(self, external_ids: set[str]) -> dict[str, int]:
        """Contact id by external id (never created: an id alone is not enough to make one)."""
        missing = {(x,) for x in external_ids if x not in self.contacts_ext}
        for (ext,), row in find(self.connection, CONTACTS, CONTACT_KEYS[1], missing, True).items():
            self.contacts_ext.put(ext, row["id"])
        return {x: self.contacts_ext[x] for x in external_ids if x in self.contacts_ext}

    def campaign_ids(self, names: set[str], channel_of: dict[str, str | None]) -> dict[str, int]:
        """Campaign id by external id or name; unknown campaigns are created (channel from the
        touch, else `other`), so no touch loses its campaign."""
        todo = {n for n in names if n.lower() not in self.campaigns}
        for key in CAMPAIGN_KEYS:
            found = find(
                self.connection,
                CAMPAIGNS,
                key,
                {(n.lower() if key.folded else n,) for n in todo},
                True,
            )
            for n in list(todo):
                row = found.get((n.lower() if key.folded else n,))
                if row is not None:
                    self.campaigns.put(n.lower(), row["id"])
                    todo.discard(n)
        if todo:
            rows = [{"name": n, "channel": channel_of.get(n) or "other"} for n in sorted(todo)]
            results = upsert(self.connection, CAMPAIGNS, rows, CAMPAIGN_KEYS[1:])
            for row, result in zip(rows, results, strict=True):
                self.campaigns.put(row["name"].lower(), result.id)
            self._count("campaigns", sum(r.status == "new" for r in results))
        return {n: self.campaigns[n.lower()] for n in names}

    def asset_ids(self, refs: set[str]) -> dict[str, int]:
        """Asset id by external id or URL (unknown assets are not invented)."""
        todo = {r for r in refs if r not in self.assets}
        for key in (Key(("external_id",)), Key(("url",))):
            for (value,), row in find(
                self.connection, ASSETS, key, {(r,) for r in todo}, True
            ).items():
                self.assets.put(value, row["id"])
        return {r: self.assets[r] for r in refs if r in self.assets}

    def asset_ids_by_url(self, urls: set[str]) -> dict[str, int]:
        """Asset id by the asset's own URL (a page view of it); none when no asset has one."""
        if self.has_asset_urls is None:
            self.has_asset_urls = bool(
                self.connection.scalar(
                    select(ASSETS.c.id).where(ASSETS.c.url.is_not(None)).limit(1)
                )
            )
        if not self.has_asset_urls or not urls:
            return {}
        todo = {u for u in urls if u not in self.assets and u not in self.not_assets}
        for (value,), row in find(
            self.connection, ASSETS, Key(("url",)), {(u,) for u in todo}, True
        ).items():
            self.assets.put(value, row["id"])
        if len(self.not_assets) >= CACHE_LIMIT:
            self.not_assets.clear()
        self.not_assets.update(u for u in todo if u not in self.assets)
        return {u: self.assets[u] for u in urls if u in self.assets}

    def user_id(self, email: str | None = None, name: str | None = None) -> int | None:
        """The Tandem user with that email (or, failing that, exact name), if any."""
        wanted = (email or "").lower() or f"name:{name}"
        if wanted not in self.users:
            users = User.__table__
            query = select(users.c.id).where(
                func.lower(users.c.email) == email.lower() if email else users.c.name == name
            )
            self.users[wanted] = self.connection.scalar(query.limit(1))
        return self.users[wanted]


def _creatable(ref: AccountRef) -> bool:
    # An id alone makes no account: the link waits for the account's own import (`links`).
    return bool(ref.name or (ref.domain and ref.explicit))


def _account_row(ref: AccountRef) -> dict[str, Any]:
    row: dict[str, Any] = {"name": ref.name or ref.domain or ref.external_id}
    if ref.domain:
        row["domain"] = ref.domain
    if ref.external_id:
        row["external_id"] = ref.external_id
    return row
