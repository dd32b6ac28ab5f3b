"""The attribution model registry. Built-in models register here exactly as custom ones do.

A model is a pure function ``(batch, config) -> weights``: one non-negative float per touch of
the batch. Only relative weights within a journey matter; the engine turns them into exact
cents. Position models defined in the configuration (`custom_models`) need no code: `resolve`
builds them from their weights.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for annotations; keeps the registry import-light
    from tandem.attribution.batch import JourneyBatch
    from tandem.attribution.config import AttributionConfig

ModelFn = Callable[["JourneyBatch", "AttributionConfig"], np.ndarray]

_MODELS: dict[str, ModelFn] = {}


def register(name: str, *, replace: bool = False) -> Callable[[ModelFn], ModelFn]:
    """Decorator adding a model under `name`; a second registration needs ``replace=True``."""

    def add(fn: ModelFn) -> ModelFn:
        if name in _MODELS and not replace and _MODELS[name] is not fn:
            raise ValueError(f"attribution model {name!r} is already registered")
        _MODELS[name] = fn
        return fn

    return add


def unregister(name: str) -> None:
    """Remove a model (for tests and plugins that clean up after themselves)."""
    _MODELS.pop(name, None)


def get(name: str) -> ModelFn:
    """The registered model `name`; KeyError lists the known names."""
    try:
        return _MODELS[name]
    except KeyError:
        raise KeyError(f"unknown attribution model {name!r}; known: {names()}") from None


def names() -> tuple[str, ...]:
    """Registered model names, in registration order (built-ins first)."""
    return tuple(_MODELS)


def available(config: "AttributionConfig") -> tuple[str, ...]:
    """Registered models plus the position models defined in `config`."""
    return names() + tuple(n for n in config.custom_models if n not in _MODELS)


def resolve(name: str, config: "AttributionConfig") -> ModelFn:
    """The model `name`: a registered function, else a custom position model from `config`."""
    if name in _MODELS:
        return _MODELS[name]
    if name in config.custom_models:
        from tandem.attribution.positions import position_weights

        weights = config.custom_models[name]
        return lambda batch, _config: position_weights(batch, weights)
    raise KeyError(f"unknown attribution model {name!r}; known: {available(config)}")
