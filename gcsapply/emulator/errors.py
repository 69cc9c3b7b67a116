"""Every error the emulator answers with: ONE table of classes (status, error_code, message).

The body is Huawei's ``{"error_code", "error_msg", "request_id"}``. Codes the public reference
documents are used as documented (``APIGW.0301``, ``APIGW.0303``, ``APIGW.0308``,
``GCS.4003007``, ``GCS.4003015``, ``GCS.4003022`` ...). Everything else is INVENTED, kept here
so it can be corrected in one place when the real codes are known:

* ``GCS.40031xx`` -- 400s the reference does not list (name rules, state preconditions, ...);
* ``GCS.4030xxx`` / ``GCS.4040xxx`` / ``GCS.4090xxx`` -- 403 / 404 / 409;
* ``EMU.4030001`` / ``EMU.4150001`` -- the control API (``/_emulator/*``, not GCS) refusing a
  request from a foreign Host or Origin, or a body that is not ``application/json``;
* ``GCS.5000001`` / ``GCS.5030001`` -- injected server faults;
* ``IAM.0101`` -- wrong user name or password on ``POST /v3/auth/tokens``.

A handler or the backend raises ``SomeError("detail")``; ``error_msg`` is ``"<message>: <detail>"``.
"""

from __future__ import annotations


class EmulatorError(Exception):
    status = 500
    error_code = "GCS.5000001"
    message = "Internal server error"

    def __init__(self, detail: str | None = None, *, headers: dict | None = None):
        super().__init__(detail or self.message)
        self.detail = detail
        self.headers = dict(headers or {})

    @property
    def error_msg(self) -> str:
        return f"{self.message}: {self.detail}" if self.detail else self.message

    def body(self, request_id: str) -> dict:
        return {"error_code": self.error_code, "error_msg": self.error_msg, "request_id": request_id}


# --- API gateway (requests rejected before they reach GCS) -------------------------------------
class UnknownRoute(EmulatorError):
    status, error_code, message = 404, "APIGW.0101", "The API does not exist or has not been published"

class MethodNotAllowed(EmulatorError):
    status, error_code, message = 405, "APIGW.0102", "The method is not allowed for this API"

class BadSignature(EmulatorError):
    status, error_code, message = 401, "APIGW.0301", "Incorrect IAM authentication information"

class BadSdkDate(EmulatorError):
    status, error_code, message = 401, "APIGW.0303", "Incorrect app authentication information"

class TokenInvalid(EmulatorError):
    status, error_code, message = 401, "APIGW.0307", "The token must be updated"

class Throttled(EmulatorError):
    status, error_code, message = 429, "APIGW.0308", "The throttling threshold has been reached"

class MalformedRequest(EmulatorError):
    status, error_code, message = 400, "APIGW.0201", "The request is malformed"

class BodyTooLarge(EmulatorError):
    status, error_code, message = 413, "APIGW.0201", "The request body exceeds 12 MB"

# --- IAM -----------------------------------------------------------------------------------------
class WrongPassword(EmulatorError):
    status, error_code, message = 401, "IAM.0101", "The username or password is wrong"

class BadTokenRequest(EmulatorError):
    status, error_code, message = 400, "IAM.0102", "The token request is invalid"

# --- GCS, documented codes -----------------------------------------------------------------------
class BadEnvironmentId(EmulatorError):
    status, error_code, message = 400, "GCS.4003001", "Environment id invalid"

class BadPaging(EmulatorError):
    status, error_code, message = 400, "GCS.4003007", "Bad request, limit or offset is invalidate"

class EnvironmentExists(EmulatorError):
    status, error_code, message = 400, "GCS.4003011", "Environment already exists"

class BadBody(EmulatorError):
    status, error_code, message = 400, "GCS.4003015", "Request body invalid"

class MissingPvc(EmulatorError):
    status, error_code, message = 400, "GCS.4003022", "SFS PVC name is missing"

# --- GCS, invented 400s --------------------------------------------------------------------------
class BadName(EmulatorError):
    status, error_code, message = 400, "GCS.4003101", "Name invalid"

class BadText(EmulatorError):
    status, error_code, message = 400, "GCS.4003102", "Text field invalid"

class BadFileName(EmulatorError):
    status, error_code, message = 400, "GCS.4003103", "Workflow file name invalid"

class BadTemplate(EmulatorError):
    status, error_code, message = 400, "GCS.4003104", "Workflow template invalid"

class BadInputs(EmulatorError):
    status, error_code, message = 400, "GCS.4003105", "Execution inputs invalid"

class BadAction(EmulatorError):
    status, error_code, message = 400, "GCS.4003106", "Operation action invalid"

class WrongState(EmulatorError):
    status, error_code, message = 400, "GCS.4003107", "The current status does not allow this operation"

class BatchTooLarge(EmulatorError):
    status, error_code, message = 400, "GCS.4003108", "At most 50 executions can be created in one batch"

class BadField(EmulatorError):
    status, error_code, message = 400, "GCS.4003109", "Field value invalid"

class BadQuery(EmulatorError):
    status, error_code, message = 400, "GCS.4003110", "Query parameter invalid"

class MissingField(EmulatorError):
    status, error_code, message = 400, "GCS.4003111", "Required field missing"

class BadEnvironment(EmulatorError):
    status, error_code, message = 400, "GCS.4003112", "Environment not usable"

# --- GCS, invented 403/404/409 -------------------------------------------------------------------
class PublicReadOnly(EmulatorError):
    status, error_code, message = 403, "GCS.4030001", "Public resources can only be changed by GCS"

class ProjectMismatch(EmulatorError):
    status, error_code, message = 403, "GCS.4030002", "The project in the path is not the caller's project"

class EnvironmentNotFound(EmulatorError):
    status, error_code, message = 404, "GCS.4040001", "Environment not found"

class WorkflowNotFound(EmulatorError):
    status, error_code, message = 404, "GCS.4040002", "Workflow not found"

class ExecutionNotFound(EmulatorError):
    status, error_code, message = 404, "GCS.4040003", "Execution not found"

class ToolNotFound(EmulatorError):
    status, error_code, message = 404, "GCS.4040004", "Tool not found"

class CromwellNotFound(EmulatorError):
    status, error_code, message = 404, "GCS.4040005", "Cromwell execution not found"

class WorkflowNameTaken(EmulatorError):
    status, error_code, message = 409, "GCS.4090001", "Workflow name already exists"

class ExecutionNameTaken(EmulatorError):
    status, error_code, message = 409, "GCS.4090002", "Execution name already exists"

class WorkflowInUse(EmulatorError):
    status, error_code, message = 409, "GCS.4090003", "Workflow is used by executions"

class ToolExists(EmulatorError):
    status, error_code, message = 409, "GCS.4090004", "Tool with this name and version already exists"

# --- the control API (emulator-defined, not GCS) ---------------------------------------------------
class ControlForbidden(EmulatorError):
    status, error_code, message = 403, "EMU.4030001", "The control API answers only its own address"

class ControlNotJson(EmulatorError):
    status, error_code, message = 415, "EMU.4150001", "The control API takes application/json only"

# --- injected faults -----------------------------------------------------------------------------
class InjectedServerError(EmulatorError):
    status, error_code, message = 500, "GCS.5000001", "Internal server error"

class InjectedUnavailable(EmulatorError):
    status, error_code, message = 503, "GCS.5030001", "Service temporarily unavailable"


ERROR_TABLE: tuple[type[EmulatorError], ...] = tuple(
    cls for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, EmulatorError) and cls is not EmulatorError)
