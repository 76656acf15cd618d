"""CloudFormation intrinsics for the local stack: the YAML loader that turns short tags (!Ref, !Sub,
...) into their long form, and the resolver of exactly the intrinsics template.yaml uses
(INTRINSIC_METHODS; any other is a TemplateError), against the template's Parameters and
Conditions plus local stand-ins for resources. local/template.py reads the template with it."""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"
PSEUDO_PARAMETERS = {"AWS::Region": LOCAL_REGION}  # the only one template.yaml reads (and AWS::NoValue)
# The intrinsics template.yaml uses, and so the only ones evaluated: an unknown one is a TemplateError
# rather than a guess (tests/tooling/test_local_template.py checks the template against this list).
INTRINSIC_METHODS = {
    "Ref": "_ref",
    "Fn::GetAtt": "_get_att",
    "Fn::Sub": "_sub",
    "Fn::If": "_if",
    "Fn::Equals": "_equals",
    "Fn::Not": "_not",
}

# AWS::NoValue removes the property it is assigned to.
_NO_VALUE = object()


class TemplateError(ValueError):
    """The template uses something the local stack cannot resolve or serve."""


# ------------------------------------------------------------------ YAML with CloudFormation tags


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if name == "Fn::GetAtt" and isinstance(value, str):
        value = value.split(".", 1)  # !GetAtt Res.Attr is the short form of [Res, Attr]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM YAML file; short tags become their long-form dicts."""
    with open(path, encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_CfnLoader)


def unquote(value: str) -> str:
    """SAM wants header values as quoted literals ("'http://x'"); the HTTP value has no quotes."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def env_value(value: Any) -> str:
    """Lambda environment values are strings; CloudFormation turns YAML scalars into their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class IntrinsicResolver:
    """Resolves the intrinsics of a loaded template (`raw`): Parameters with `parameters` overriding
    their defaults, Conditions, and `resource_values` standing in for resources."""

    def __init__(
        self, raw: dict[str, Any], parameters: Mapping[str, str], resource_values: Mapping[str, str]
    ) -> None:
        self.raw = raw
        self.resources: dict[str, dict[str, Any]] = raw.get("Resources") or {}
        self.resource_values = dict(resource_values)
        self.parameters = self._parameter_values(parameters)
        self._conditions: dict[str, bool] = {}

    def resolve(self, node: Any) -> Any:
        """Resolve every intrinsic function inside node (dicts and lists recursively)."""
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, arg),) = node.items()
                if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
                    return self._intrinsic(key, arg)
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not _NO_VALUE}
        if isinstance(node, list):
            return [value for value in map(self.resolve, node) if value is not _NO_VALUE]
        return node

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.raw.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def _intrinsic(self, name: str, arg: Any) -> Any:
        if name not in INTRINSIC_METHODS:
            raise TemplateError(
                f"{name} is not supported by the local stack: it evaluates only the intrinsics "
                f"template.yaml uses ({', '.join(INTRINSIC_METHODS)}); "
                "teach local/template_intrinsics.py the new one"
            )
        return getattr(self, INTRINSIC_METHODS[name])(arg)

    def _equals(self, arg: list[Any]) -> bool:
        return env_value(self.resolve(arg[0])) == env_value(self.resolve(arg[1]))

    def _not(self, arg: list[Any]) -> bool:
        return not self.resolve(arg[0])

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        for source in (self.parameters, PSEUDO_PARAMETERS, self.resource_values):
            if name in source:
                return source[name]
        if name in self.resources:
            return name  # what SAM local answers for a resource with no local stand-in
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def _get_att(self, arg: list[str]) -> str:
        logical_id, attribute = self.resolve(arg)
        key = f"{logical_id}.{attribute}"
        if key in self.resource_values:
            return self.resource_values[key]
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt {key}: no such resource")
        return self.fake_arn(logical_id) if attribute == "Arn" else key

    def fake_arn(self, logical_id: str) -> str:
        resource_type = self.resources[logical_id].get("Type", "")
        service = "lambda" if resource_type == "AWS::Serverless::Function" else resource_type.split("::")[1]
        return f"arn:aws:{service.lower()}:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{logical_id}"

    def _sub(self, text: Any) -> str:
        if not isinstance(text, str):
            raise TemplateError("Fn::Sub: only the string form is supported (template.yaml uses no other)")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name:
                return env_value(self._get_att(name.split(".", 1)))
            return env_value(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _if(self, arg: list[Any]) -> Any:
        condition_name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(condition_name) else when_false)

    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, Any]:
        declared = self.raw.get("Parameters") or {}
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name not in overrides and "Default" not in spec:
                continue  # an error only if something Refs it
            value = env_value(overrides.get(name, spec.get("Default")))
            allowed = spec.get("AllowedValues")
            if allowed and value not in [env_value(item) for item in allowed]:
                raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
            list_type = spec.get("Type", "").startswith(("CommaDelimitedList", "List<"))
            values[name] = value.split(",") if list_type else value
        return values
