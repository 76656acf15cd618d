"""Secrets Manager reads, cached per process for a few minutes (rotation is picked up)."""

from aws_lambda_powertools.utilities import parameters

SECRET_CACHE_SECONDS = 300


def get_secret(arn: str) -> str:
    return parameters.get_secret(arn, max_age=SECRET_CACHE_SECONDS)
