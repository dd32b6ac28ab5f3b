"""Every table model, so `Base.metadata` is complete (for Alembic, bulk loads and tests).

Each capability keeps its tables in `tandem/<capability>/models.py`; this module imports them
all, so a new capability's tables are picked up without a central list to keep in step.
"""

import importlib
import pkgutil

import tandem
from tandem.db import Base


def _import_all_models() -> None:
    for package in pkgutil.iter_modules(tandem.__path__):
        if package.ispkg:
            try:
                importlib.import_module(f"tandem.{package.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"tandem.{package.name}.models":
                    raise


_import_all_models()
metadata = Base.metadata
