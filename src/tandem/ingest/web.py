"""The ingest routes the app includes: the event API and the admin upload pages."""

from fastapi import APIRouter

from tandem.ingest import api, pages

router = APIRouter()
router.include_router(api.router)
router.include_router(pages.router)
