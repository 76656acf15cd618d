"""DynamoDB single-table access and Secrets Manager reads: the only package that talks to AWS.

It talks through botocore's low-level clients and never imports boto3: `import boto3` pulls in
s3transfer and boto3's session/resource layer, cold-start time on every function for nothing the
store needs (bench/bench_cold_import.py measures both imports). So secrets are read with a botocore
client (secrets.py) and AttributeValues are (de)serialised by our own codec (attribute_values.py).
"""
