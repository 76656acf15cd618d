"""DynamoDB single-table access and Secrets Manager reads: the only package that talks to AWS
(through botocore)."""
