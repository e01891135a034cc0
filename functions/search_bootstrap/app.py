"""Search bootstrap (a CloudFormation custom resource, `Custom::SearchIndices`): creates the versioned
indices and their aliases when missing, leaves present ones. Create and Update bootstrap; Delete keeps
the indices (the domain is retained). It answers CloudFormation on every path, failures included; the
local cloud invokes it the same way with no ResponseURL and reads the returned answer instead."""

from __future__ import annotations

from functools import cache
from typing import Any

from reelstack.adapters import cfn_response
from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.observability import logger

PHYSICAL_ID = "reelstack-search-indices"


@cache
def _search() -> SearchClient:
    return SearchClient()


@logger.inject_lambda_context(correlation_id_path="RequestId")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    status, reason, data = "SUCCESS", "", {}
    try:
        if event.get("RequestType") in ("Create", "Update"):
            created = _search().ensure_indices()
            data = {"Created": ",".join(created)}
            logger.info("search indices ensured", extra={"indices_created": created})
    except Exception as error:  # CloudFormation must hear of every failure
        logger.exception("search bootstrap failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    body = cfn_response.response_body(event, status, PHYSICAL_ID, reason, data)
    url = event.get("ResponseURL")
    if url:
        cfn_response.send(str(url), body)
    return body
