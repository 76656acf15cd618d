"""The table's stream -> deployment-wide statistics (issue 13 §2): off the request path, so no
model call ever writes a deployment-wide item."""

from bailian_chat import warm_start  # first: it pauses the collector for the import (warm_start)

# isort: split
from aws_lambda_powertools import Logger
from bailian_chat.usage.aggregation import handle_stream_batch

logger = Logger()
warm_start.prime()  # at init: the DynamoDB client created and primed, not in the first event


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return handle_stream_batch(event.get("Records", []))
