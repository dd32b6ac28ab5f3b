"""Every table model, so `Base.metadata` is complete (for Alembic, bulk loads and tests).

Each capability declares its model modules in its manifest (`Capability.tables`); importing
this module imports them all, so a new capability's tables come with its one manifest line.
"""

import importlib

from tandem.capabilities import each
from tandem.db import Base

for _, modules in each("tables"):
    for module in modules:
        importlib.import_module(module)
metadata = Base.metadata
