"""ASGI entry point for servers: `uvicorn --factory tandem.web.asgi:app`."""

from fastapi import FastAPI

from tandem.settings import load_settings
from tandem.web.app import create_app


def app() -> FastAPI:
    """Build the app from the environment's settings (called by the server, not at import)."""
    return create_app(load_settings())
