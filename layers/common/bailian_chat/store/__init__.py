"""DynamoDB single-table access and Secrets Manager reads: the only package that talks to AWS.

It talks through botocore's low-level clients and never imports boto3: `import boto3` pulls in
s3transfer and boto3's session/resource layer, cold-start time on every function for nothing the
store needs (bench/bench_cold_import.py measures both imports). So secrets are read with a botocore
client (secrets.py) and AttributeValues are (de)serialised by our own codec (attribute_values.py).
"""

from bailian_chat import lean_imports

# botocore.client imports botocore.docs' docstring module, and with it the package's __init__, which
# imports the generator of botocore's reference documentation (every service's pages): ~12 ms of
# each cold start for docs no function writes. Its __init__ runs if one of its names is ever used.
lean_imports.defer_init("botocore.docs")
