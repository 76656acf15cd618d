"""The fake's errors: upstream's status, code, type and message for each fault, and its error body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

_DOC = "https://www.alibabacloud.com/help/en/model-studio/error-code"
INVALID = "<400> InternalError.Algo.InvalidParameter: "
RETRY_AFTER_SECONDS = "1"


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    code: str
    type: str
    message: str


# HTTP status, error.code, error.type and message as upstream sends them in compatible mode.
ERRORS: dict[str, ErrorSpec] = {
    "400": ErrorSpec(
        400,
        "invalid_parameter_error",
        "invalid_request_error",
        INVALID + "Injected fault (#fault:400): required parameter(s) missing or invalid.",
    ),
    "inspection": ErrorSpec(
        400,
        "data_inspection_failed",
        "data_inspection_failed",
        f"Input data may contain inappropriate content. For details, see: {_DOC}#inappropriate-content",
    ),
    "arrearage": ErrorSpec(
        400,
        "Arrearage",
        "Arrearage",
        "Access denied, please make sure your account is in good standing. "
        f"For details, see: {_DOC}#overdue-payment",
    ),
    "401": ErrorSpec(
        401,
        "invalid_api_key",
        "invalid_request_error",
        f"Incorrect API key provided. For details, see: {_DOC}#apikey-error",
    ),
    "429": ErrorSpec(
        429,
        "limit_requests",
        "limit_requests",
        f"You have exceeded your current request limit. For details, see: {_DOC}#rate-limit",
    ),
    "quota": ErrorSpec(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. "
        f"For details, see: {_DOC}#token-limit",
    ),
    "500": ErrorSpec(
        500,
        "internal_error",
        "internal_error",
        "An internal error has occured, please try again later or contact service support.",
    ),
    "503": ErrorSpec(
        503,
        "ModelUnavailable",
        "ModelUnavailable",
        "Model is unavailable, please try again later.",
    ),
}


class InvalidRequest(Exception):
    def __init__(self, message: str, code: str = "invalid_parameter_error"):
        super().__init__(message)
        self.message = message
        self.code = code


def error_body(code: str, type_: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "param": None, "type": type_},
        "id": f"chatcmpl-{request_id}",
        "request_id": request_id,
    }


def error_response(spec: ErrorSpec, request_id: str) -> JSONResponse:
    headers = {"x-request-id": request_id}
    if spec.status == 429:
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    return JSONResponse(
        error_body(spec.code, spec.type, spec.message, request_id), status_code=spec.status, headers=headers
    )
