"""DynamoDB Local as the local stack runs it: the template's table, created idempotently."""

from local.dynamodb_local import client, ensure_table


def test_the_stack_created_the_template_table_with_its_indexes_and_ttl(stack):
    dynamodb = client(stack.dynamodb_endpoint)

    table = dynamodb.describe_table(TableName=stack.table_name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=stack.table_name)["TimeToLiveDescription"]

    assert table["TableStatus"] == "ACTIVE"
    assert {key["AttributeName"] for key in table["KeySchema"]} == {"PK", "SK"}
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_ensure_table_is_idempotent_and_creates_other_names_on_demand(stack):
    assert ensure_table(stack.dynamodb_endpoint, stack.table_name, stack.template) is False
    assert ensure_table(stack.dynamodb_endpoint, "another-table", stack.template) is True
    assert "another-table" in client(stack.dynamodb_endpoint).list_tables()["TableNames"]
