"""CloudWatch metrics (EMF through Powertools) for model calls, by model."""

from aws_lambda_powertools.metrics import Metrics, MetricUnit

from bailian_chat.config import get_settings


def emit_model_call(model_name: str, status_code: int, total_tokens: int, duration_ms: int) -> None:
    """Emits one EMF record for the call right away (the handler needs no decorator)."""
    metrics = Metrics(namespace=get_settings().metrics_namespace)
    metrics.add_dimension(name="model", value=model_name)
    metrics.add_metric(name="ModelCalls", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ModelCallErrors", unit=MetricUnit.Count, value=0 if status_code == 200 else 1)
    metrics.add_metric(name="ModelTokens", unit=MetricUnit.Count, value=total_tokens)
    metrics.add_metric(name="ModelCallDuration", unit=MetricUnit.Milliseconds, value=duration_ms)
    metrics.flush_metrics()


def emit_unpriced_call(model_name: str) -> None:
    """A call to a model the price table does not price (its cost is taken as 0)."""
    metrics = Metrics(namespace=get_settings().metrics_namespace)
    metrics.add_dimension(name="model", value=model_name)
    metrics.add_metric(name="UnpricedModelCall", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
