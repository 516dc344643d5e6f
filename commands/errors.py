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
        ├── PermissionDenied     the caller may not do this
        └── ProviderError        the model API failed; `retryable` says whether a Retry may help
"""

from __future__ import annotations


class RoutebotError(Exception):
    """Base of every error routebot raises on purpose."""


class ConfigError(RoutebotError):
    """Settings or environment that make startup impossible."""


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
    pass


class PermissionDenied(UserError):
    pass


class ProviderError(UserError):
    """A model API call failed. `kind` is one of auth, rate_limit, unavailable, timeout, connection, bad_request."""

    def __init__(self, provider: str, kind: str, message: str, *, retryable: bool) -> None:
        self.provider, self.kind, self.retryable = provider, kind, retryable
        super().__init__(message)
