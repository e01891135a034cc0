"""The search client speaks SigV4 over HTTPS to the domain in AWS and plain HTTP to the local node,
from the endpoint and timeouts in its settings; nothing connects until a request is made."""

from __future__ import annotations

import pytest
from opensearchpy import Urllib3AWSV4SignerAuth

from reelstack.adapters.distribution.search_client import SearchClient, build_client
from reelstack.settings import SearchSettings


def test_in_aws_requests_are_signed_and_sent_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a function's role credentials and the domain's VPC endpoint, as the template gives it
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    settings = SearchSettings(search_endpoint="https://vpc-reelstack.us-east-1.es.amazonaws.com")
    # WHEN the client is built
    connection = build_client(settings).transport.get_connection()
    # THEN it signs with SigV4 and uses TLS on 443, with the settings' short timeout
    assert isinstance(connection.http_auth, Urllib3AWSV4SignerAuth)
    assert (connection.host, connection.use_ssl) == (
        "https://vpc-reelstack.us-east-1.es.amazonaws.com:443",
        True,
    )
    assert connection.timeout == settings.search_timeout_seconds


def test_locally_requests_are_plain_http_to_the_node() -> None:
    # GIVEN the local cloud's settings WHEN the client is built THEN it speaks plain HTTP, unsigned
    settings = SearchSettings(
        search_endpoint="http://127.0.0.1:9250", reelstack_local=True, search_timeout_seconds=1
    )
    connection = build_client(settings).transport.get_connection()
    assert (connection.host, connection.use_ssl, connection.http_auth) == (
        "http://127.0.0.1:9250",
        False,
        None,
    )
    assert connection.timeout == 1


def test_the_client_is_built_lazily_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the environment the local cloud sets WHEN the adapter is made THEN no client exists yet
    monkeypatch.setenv("SEARCH_ENDPOINT", "http://127.0.0.1:9250")
    monkeypatch.setenv("REELSTACK_LOCAL", "1")
    search = SearchClient()
    assert search._client is None
    # AND the first use builds it from the settings
    assert search.client.transport.get_connection().host == "http://127.0.0.1:9250"
