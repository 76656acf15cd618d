"""The continuation of DELETE /api/auth/user: the table's stream hands it each profile marked
deleting, and it purges what the request left, retried by the stream until nothing is left."""

from bailian_chat import warm_start  # first: it pauses the collector for the import (warm_start)

# isort: split
from aws_lambda_powertools import Logger
from bailian_chat.auth.account_purging import handle_purge_records

logger = Logger()
warm_start.prime()  # at init: the DynamoDB client created and primed, not in the first event


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return handle_purge_records(event.get("Records", []), context.get_remaining_time_in_millis)
