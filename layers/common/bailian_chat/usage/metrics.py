"""CloudWatch metrics (EMF through Powertools) for model calls, by model."""

from aws_lambda_powertools.metrics import MetricUnit, single_metric


def emit_model_call(model_name: str, status_code: int, total_tokens: int, duration_ms: int) -> None:
    with single_metric(name="ModelCalls", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="model", value=model_name)
        if status_code != 200:
            metric.add_metric(name="ModelCallErrors", unit=MetricUnit.Count, value=1)
        metric.add_metric(name="ModelTokens", unit=MetricUnit.Count, value=total_tokens)
        metric.add_metric(name="ModelCallDuration", unit=MetricUnit.Milliseconds, value=duration_ms)
