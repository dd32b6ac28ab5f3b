"""`/api/v1/webhooks`: subscriptions and their delivery log (admins)."""

from fastapi import APIRouter

from tandem.db import utcnow
from tandem.web.deps import ApiUser, DbSession
from tandem.web.errors import http_error
from tandem.web.ids import PathId
from tandem.webhooks import service
from tandem.webhooks.schemas import DeliveryOut, SubscriptionIn, SubscriptionOut

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
_UNKNOWN = {404: {"description": "No webhook with that id"}}


@router.get("", response_model=list[SubscriptionOut])
def list_webhooks(user: ApiUser, db: DbSession) -> list[SubscriptionOut]:
    """Every subscription (secrets are shown only when one is created)."""
    return service.subscriptions(db_session=db)


@router.post(
    "",
    response_model=SubscriptionOut,
    status_code=201,
    responses={422: {"description": "A bad URL or an unknown event"}},
)
def add_webhook(data: SubscriptionIn, user: ApiUser, db: DbSession) -> SubscriptionOut:
    """Subscribe a URL to events; the answer carries the signing secret, once."""
    try:
        return service.add(db_session=db, data=data, by_user_id=user.id, now=utcnow())
    except service.WebhookError as exc:
        raise http_error(exc) from None


@router.delete("/{webhook_id}", status_code=204, responses=_UNKNOWN)
def remove_webhook(user: ApiUser, db: DbSession, webhook_id: PathId) -> None:
    """Remove a subscription and its delivery log."""
    try:
        service.remove(db_session=db, subscription_id=webhook_id, by_user_id=user.id)
    except service.WebhookError as exc:
        raise http_error(exc) from None


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut], responses=_UNKNOWN)
def webhook_deliveries(user: ApiUser, db: DbSession, webhook_id: PathId) -> list[DeliveryOut]:
    """The subscription's newest 100 deliveries: status, attempts, the last answer."""
    try:
        return service.deliveries(db_session=db, subscription_id=webhook_id)
    except service.WebhookError as exc:
        raise http_error(exc) from None
