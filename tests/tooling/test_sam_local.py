"""local/sam_local.py: what `make sam-local` hands `sam build` and `sam local start-api`."""

import pytest

from local.sam_local import (
    INIT_BUDGET_SECONDS,
    SamLocalError,
    bind_address,
    env_vars,
    host_address,
    host_architecture,
    sam_template,
    write_private_json,
)
from local.template import REPO_ROOT, TEMPLATE_PATH, Template, load_yaml


def local_env_vars() -> dict[str, dict[str, str]]:
    return env_vars(
        table_name="bailian-chat-local",
        dynamodb_endpoint="http://172.17.0.1:8000",
        jwt_secret="s" * 48,
        bailian={"BAILIAN_BASE_URL": "http://172.17.0.1:9000/v1", "DASHSCOPE_API_KEY": "sk-fake-1"},
    )


def test_every_env_var_is_declared_so_sam_applies_it():
    """SAM's --env-vars only overrides variables the template declares; it ignores the rest."""
    template = Template()
    declared_anywhere = {name for function in template.functions.values() for name in function.environment}

    parameters = local_env_vars()["Parameters"]

    assert set(parameters) <= declared_anywhere
    for function in template.functions.values():  # what every function needs to run locally
        assert {"TABLE_NAME", "DYNAMODB_ENDPOINT", "JWT_SECRET", "JWT_SECRET_ARN"} <= set(
            function.environment
        )


def test_env_vars_point_at_the_local_parts_and_blank_the_aws_secrets():
    parameters = local_env_vars()["Parameters"]

    assert parameters["DYNAMODB_ENDPOINT"] == "http://172.17.0.1:8000"
    assert parameters["JWT_SECRET_ARN"] == "" and parameters["BAILIAN_API_KEY_SECRET_ARN"] == ""
    assert parameters["DASHSCOPE_API_KEY"] == "sk-fake-1"
    assert all(isinstance(value, str) for value in parameters.values())


def test_sam_template_targets_the_host_architecture_with_absolute_code_paths():
    template = sam_template(architecture="x86_64")

    assert template["Globals"]["Function"]["Architectures"] == ["x86_64"]
    layer = template["Resources"]["CommonLayer"]
    assert layer["Metadata"]["BuildArchitecture"] == "x86_64"
    assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]
    assert layer["Properties"]["ContentUri"] == str(REPO_ROOT / "layers" / "common")
    code_uri = template["Resources"]["AuthUserFunction"]["Properties"]["CodeUri"]
    assert code_uri == str(REPO_ROOT / "functions" / "auth_user")
    assert template["Globals"]["Function"]["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "Table"}


def test_sam_template_adds_lambdas_init_budget_to_every_timeout():
    """The emulator counts a cold container's init in the invoke; Lambda gives init its own 10 s."""
    local = sam_template(architecture="x86_64")
    deployed = Template()

    assert local["Globals"]["Function"]["Timeout"] == 10 + INIT_BUDGET_SECONDS
    authorizer = local["Resources"]["AuthorizerFunction"]["Properties"]
    assert authorizer["Timeout"] == deployed.functions["AuthorizerFunction"].timeout + INIT_BUDGET_SECONDS


@pytest.mark.parametrize(("machine", "architecture"), [("x86_64", "x86_64"), ("aarch64", "arm64")])
def test_host_architecture(machine, architecture):
    assert host_architecture(machine) == architecture


def test_host_address_prefers_the_explicit_setting():
    assert host_address({"SAM_LOCAL_HOST_ADDRESS": "host.docker.internal"}) == "host.docker.internal"


def test_host_address_without_docker0_says_what_to_do(monkeypatch):
    monkeypatch.setattr("local.sam_local.subprocess.run", lambda *a, **k: type("R", (), {"stdout": ""})())

    with pytest.raises(SamLocalError, match="SAM_LOCAL_HOST_ADDRESS"):
        host_address({})


def test_services_bind_the_bridge_address_or_loopback():
    assert bind_address("172.17.0.1") == "172.17.0.1"
    assert bind_address("host.docker.internal") == "127.0.0.1"


def test_env_file_is_owner_only(tmp_path):
    path = write_private_json(tmp_path / "sam" / "env.json", {"Parameters": {}})

    assert path.stat().st_mode & 0o777 == 0o600
    assert write_private_json(path, {"Parameters": {"A": "1"}}).read_text().count('"A"') == 1


def test_sam_template_lets_sam_local_find_the_authorizer_of_the_alias():
    """template.yaml's authorizer invokes the published alias (SnapStart); sam local only finds a
    function by !GetAtt <Function>.Arn, so its copy says that."""
    assert load_yaml(TEMPLATE_PATH)["Resources"]["Api"]["Properties"]["Auth"]["Authorizers"]["JwtAuthorizer"][
        "FunctionArn"
    ] == {"Ref": "AuthorizerFunction.Alias"}
    authorizer = sam_template()["Resources"]["Api"]["Properties"]["Auth"]["Authorizers"]["JwtAuthorizer"]
    assert authorizer["FunctionArn"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}
