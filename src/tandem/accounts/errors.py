"""Domain errors of the accounts capability (never HTTP ones)."""

from tandem import errors


class AccountsError(errors.DomainError, ValueError):
    """An accounts step that cannot be taken (said why)."""


class InvalidInput(AccountsError, errors.Invalid):
    """Bad input; `problems` names every row or file:line at fault. Nothing was applied."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
