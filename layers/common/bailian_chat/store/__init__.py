"""DynamoDB single-table access. The only package that imports boto3."""
