"""routebot's exceptions: one small tree, so callers catch what they can handle.

RoutebotError
├── ConfigError              settings or environment unusable: stops startup
│   └── PolicyError          the policy file is broken (names file, key and problem)
└── UserError                a request we refuse; `message` is fit to show in Slack
    ├── UsageError           bad command text or options
    ├── NotFound             the request or run named does not exist
    ├── AtTopOfLadder        nothing left to escalate to
    ├── ProviderNotConfigured  no API key for that provider
    ├── BudgetExceeded       the channel's weekly budget is spent
    ├── ApprovalRequired     the lane needs an approver in this channel; carries the run plan
    ├── PermissionDenied     the caller may not do this
    └── ProviderError        the model API failed; `retryable` says whether a Retry may help
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from commands.runs import RunPlan


class RoutebotError(Exception):
    """Base of every error routebot raises on purpose."""


class ConfigError(RoutebotError):
    """Config or environment that make startup impossible."""


class PolicyError(ConfigError):
    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        super().__init__(f"{path}: {key}: {problem}")


class UserError(RoutebotError):
    """A refusal whose message is shown to the person who asked."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class UsageError(UserError):
    pass


class NotFound(UserError):
    pass


class AtTopOfLadder(UserError):
    pass


class ProviderNotConfigured(UserError):
    pass


class BudgetExceeded(UserError):
    """`spent_nanousd` counts priced runs only; `unknown_runs` ran at a price the policy does not know."""

    def __init__(
        self, message: str, *, spent_nanousd: int = 0, budget_nanousd: int = 0, unknown_runs: int = 0
    ) -> None:
        self.spent_nanousd, self.budget_nanousd = spent_nanousd, budget_nanousd
        self.unknown_runs = unknown_runs
        super().__init__(message)


class ApprovalRequired(UserError):
    """Not a refusal for good: the listener asks the channel's approvers and runs `plan` if one approves."""

    def __init__(self, plan: RunPlan, message: str) -> None:
        self.plan = plan
        super().__init__(message)


class PermissionDenied(UserError):
    pass


class ProviderError(UserError):
    """A model API call failed.

    `kind` is one of auth, permission, not_found, rate_limit, unavailable, timeout, connection, bad_request,
    bad_response (a 200 whose body could not be read).
    """

    def __init__(
        self, provider: str, kind: str, message: str, *, retryable: bool, partial: bool = False
    ) -> None:
        self.provider, self.kind, self.retryable = provider, kind, retryable
        self.partial = partial  # the stream broke after some text had arrived
        super().__init__(message)
