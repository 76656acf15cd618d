"""The table's stream -> deployment-wide statistics (issue 13 §2): off the request path, so no
model call ever writes a deployment-wide item."""

from aws_lambda_powertools import Logger
from bailian_chat.usage.aggregation import handle_stream_batch

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return handle_stream_batch(event.get("Records", []))
