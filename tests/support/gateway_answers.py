"""What API Gateway itself answers (template.yaml's GatewayResponses): the spec's envelope and,
beside it (issue 11), OpenAI's `error` object, so the official SDKs read them on /v1 too."""


def gateway_answer(code: int, message: str, error_type: str, error_code: str | None = None) -> dict:
    return {
        "code": code,
        "message": message,
        "data": None,
        "error": {"message": message, "type": error_type, "param": None, "code": error_code},
    }


NOT_AUTHENTICATED = gateway_answer(401, "Not authenticated", "authentication_error", "invalid_api_key")
RESOURCE_NOT_FOUND = gateway_answer(404, "Resource not found", "not_found_error")
