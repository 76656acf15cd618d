"""The docker-less local stack: template reader, DynamoDB Local runner, API gateway, dev server."""
