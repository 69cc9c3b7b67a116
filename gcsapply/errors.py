"""Every error gcsapply raises, and the exit codes they map to.

Only :func:`gcsapply.cli.main` turns these into exit codes; nothing below the command modules
calls ``sys.exit`` or prints. Each error says *what* (``message``), *where* (``where``: a
``file:line`` and key path, or a resource address and the service's error code) and *what next*
(``hint``).

The tree::

    GcsapplyError                      exit 1 unless stated
    ├── UsageError                     bad flags or arguments
    ├── InputError                     manifests, templates, sample sheets (carries diagnostics)
    ├── TemplateError                  a template cannot be expanded with these input values
    ├── ConfigError                    endpoint, region, project, credentials
    ├── StateError                     state file unreadable, or bound to another target
    │   ├── LockHeldError              another apply/destroy holds state.lock
    │   ├── StateConflictError         another writer moved the state object (compare-and-swap)
    │   └── StalePlanError             a saved plan no longer matches state or GCS
    │       └── PlanChangedError       apply --reviewed: the changes planned now are not the reviewed
    ├── PlanRefusedError               plan-time refusals: limits, --replace of a run, in-use
    ├── ApplyFailedError               some changes failed (the summary lists them)
    ├── TimeoutExpiredError            --wait ran out of time; runs continue in GCS
    ├── ClientError                    talking to GCS
    │   ├── TransportError             no answer: the outcome of a write is unknown
    │   └── ApiError                   GCS answered with an error (status, error_code, ...)
    │       ├── BadRequestError        400
    │       ├── AuthError              401, 403
    │       ├── NotFoundError          404
    │       ├── ConflictError          409
    │       ├── RateLimitedError       429
    │       └── ServerError            5xx
    └── Interrupted                    Ctrl-C / SIGTERM: exit 130
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_INTERRUPTED = 130


class GcsapplyError(Exception):
    """Base of every gcsapply error: a message, where it happened, and a hint."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def render(self) -> str:
        """The text shown to a user: ``error: [where: ]message`` and an indented hint."""
        head = f"{self.where}: {self.message}" if self.where else self.message
        lines = [f"error: {head}"]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class UsageError(GcsapplyError):
    """The command line itself is wrong."""


class InputError(GcsapplyError):
    """Manifests, templates or sample sheets are invalid; ``diagnostics`` lists every problem."""

    def __init__(self, message: str, diagnostics=(), **kwargs):
        super().__init__(message, **kwargs)
        self.diagnostics = list(diagnostics)


class ConfigError(GcsapplyError):
    """Endpoint, region, project or credentials are missing or contradictory."""


class StateError(GcsapplyError):
    """The state file cannot be used."""


class LockHeldError(StateError):
    """Another apply or destroy holds the state lock."""


class StateConflictError(StateError):
    """A remote state object changed under this process's compare-and-swap: another writer is
    active, so this one stops (it never overwrites)."""


class StalePlanError(StateError):
    """A saved plan was made against a state or GCS that has since changed."""


class PlanChangedError(StalePlanError):
    """``apply --reviewed``: the plan made now does not make the reviewed plan's changes."""


class PlanRefusedError(GcsapplyError):
    """The plan is well-formed but refused: a guardrail or a rule forbids it."""


class ApplyFailedError(GcsapplyError):
    """Apply finished, but some changes failed."""


class TimeoutExpiredError(GcsapplyError):
    """``--wait`` ran out of time. Nothing was cancelled."""


class Interrupted(GcsapplyError):
    """The user interrupted (Ctrl-C or SIGTERM)."""

    exit_code = EXIT_INTERRUPTED


class ClientError(GcsapplyError):
    """Base of errors talking to GCS."""


class TransportError(ClientError):
    """No usable answer (connection dropped, timeout): a write's outcome is unknown."""


class ApiError(ClientError):
    """GCS answered with an error body ``{"error_code", "error_msg", "request_id"}``."""

    def __init__(
        self,
        status: int,
        error_code: str,
        error_msg: str,
        request_id: str | None = None,
        *,
        operation: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ):
        where = f"{operation}: HTTP {status} {error_code}" if operation else f"HTTP {status} {error_code}"
        super().__init__(error_msg, where=where, hint=hint)
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.operation = operation
        self.retry_after = retry_after


class BadRequestError(ApiError):
    """400: the service refused the request as invalid."""


class AuthError(ApiError):
    """401/403: credentials missing, wrong, expired, or not allowed."""


class NotFoundError(ApiError):
    """404: no such resource."""


class ConflictError(ApiError):
    """409: a name is taken, or the resource is in use."""


class RateLimitedError(ApiError):
    """429: throttled; nothing was done. ``retry_after`` is in seconds when known."""


class ServerError(ApiError):
    """5xx: the outcome of a write is unknown."""


_API_ERRORS_BY_STATUS = {400: BadRequestError, 401: AuthError, 403: AuthError,
                         404: NotFoundError, 409: ConflictError, 429: RateLimitedError}


def api_error_class(status: int) -> type[ApiError]:
    """The ``ApiError`` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _API_ERRORS_BY_STATUS.get(status, ApiError)


class TemplateError(GcsapplyError):
    """A template cannot be expanded: bad run-time input values, or a value that cannot be
    computed (``problems`` lists each one)."""

    def __init__(self, message: str, problems=(), **kwargs):
        super().__init__(message, **kwargs)
        self.problems = list(problems)
