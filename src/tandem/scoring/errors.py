"""Scoring's domain errors, each a `tandem.errors` kind with its HTTP status."""

from __future__ import annotations

from tandem import errors
from tandem.definitions.base import Issue


class ScoringError(errors.DomainError):
    """Base of every scoring service error; the message is meant for the user."""


class VersionNotFound(ScoringError, errors.NotFound):
    """No model version with that id."""


class NotAllowed(ScoringError, errors.Forbidden):
    """The user may not take this step (wrong role or team)."""


class Conflict(ScoringError, errors.Conflict):
    """The step no longer applies: already decided, or the active model changed meanwhile."""


class InvalidModel(ScoringError, errors.Invalid):
    """The proposed YAML has errors; `issues` holds every issue with file:line."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [i.format() for i in issues if i.level == "error"]
        super().__init__("the model has errors:\n" + "\n".join(errors))


#: Positives and negatives each needed to train: below that a cross-validated AUC is noise.
MIN_OUTCOMES = 50


class NotEnoughOutcomes(ScoringError, errors.Invalid):
    """Too few outcomes to train a predictive model honestly."""
