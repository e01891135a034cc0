"""The SageMaker runtime runs the model's inference code; the issuer's JWKS is where Cognito's would be."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def test_an_endpoint_answers_with_its_models_inference_code(fixture_cloud: Any) -> None:
    runtime = fixture_cloud.client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(
        EndpointName="fixture-ranking", Body=json.dumps({"values": [1, 2.5]}), ContentType="application/json"
    )
    assert answer["ContentType"] == "application/json"
    assert json.loads(answer["Body"].read()) == {
        "scores": [2.0, 5.0]
    }  # WEIGHT=2 from the model's environment


def test_an_unknown_endpoint_and_a_model_error(fixture_cloud: Any) -> None:
    runtime = fixture_cloud.client("sagemaker-runtime")
    with pytest.raises(ClientError) as missing:
        runtime.invoke_endpoint(EndpointName="nope", Body=b"{}", ContentType="application/json")
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    assert "Endpoint nope of account 123456789012 not found." in missing.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as failed:
        runtime.invoke_endpoint(EndpointName="fixture-ranking", Body=b"a,b", ContentType="text/csv")
    assert failed.value.response["Error"]["Code"] == "ModelError"


def test_tokens_verify_against_the_published_jwks(fixture_cloud: Any) -> None:
    # GIVEN a token for bob and the issuer's JWKS as an app would fetch it
    token = fixture_cloud.token("bob", roles=["reviewer"])
    issuer = fixture_cloud.info["issuer"]
    assert issuer == f"{fixture_cloud.aws_endpoint}/cognito/us-east-1_local"
    with urllib.request.urlopen(f"{issuer}/.well-known/jwks.json") as response:
        keys = json.loads(response.read())["keys"]
    key = next(key for key in keys if key["kid"] == jwt.get_unverified_header(token)["kid"])
    # THEN the token verifies with the template's client id as audience
    claims = jwt.decode(
        token,
        jwt.PyJWK(key),
        algorithms=["RS256"],
        audience="reelstack-local-client",
        issuer=issuer,
    )
    assert (claims["cognito:username"], claims["cognito:groups"]) == ("bob", ["reviewer"])
