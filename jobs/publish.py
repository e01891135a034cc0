"""Publishes the batch jobs of this folder to S3, where EMR Serverless reads its entry points (a
CloudFormation custom resource, `Custom::JobFiles`, backed by a function whose code is this folder).

Properties: `Bucket`, `Prefix` (e.g. `jobs/`), `Files` (paths relative to this folder, e.g.
`profile_job/job.py`) and `CodeVersion` (the function's published version: a new version of a job
file changes it, so CloudFormation sends an Update and the files are published again). Each file
lands at `<Prefix><file>`; the answer's Data maps each file to its `s3://` URI. Delete leaves the
files (a running job may still read them). Every path answers CloudFormation; the local cloud invokes
it the same way at start, with no ResponseURL, and reads the returned answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelstack.adapters import cfn_response
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.observability import logger

HERE = Path(__file__).resolve().parent


def publish(bucket: str, prefix: str, files: list[str]) -> dict[str, str]:
    storage = MediaStorage(bucket)
    published: dict[str, str] = {}
    for name in files:
        source = (HERE / name).resolve()
        if HERE not in source.parents or not source.is_file():
            raise ValueError(f"{name} is not a file of the jobs folder")
        key = f"{prefix}{name}"
        storage.put_bytes(key, source.read_bytes(), content_type="text/x-python")
        published[name] = f"s3://{bucket}/{key}"
    return published


@logger.inject_lambda_context(correlation_id_path="RequestId")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    status, reason, data = "SUCCESS", "", {}
    properties = event.get("ResourceProperties") or {}
    bucket, prefix = str(properties.get("Bucket") or ""), str(properties.get("Prefix") or "jobs/")
    try:
        if event.get("RequestType") in ("Create", "Update"):
            data = publish(bucket, prefix, [str(name) for name in properties.get("Files") or []])
            logger.info("job files published", extra={"files": data})
    except Exception as error:  # CloudFormation must hear of every failure
        logger.exception("publishing the job files failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    body = cfn_response.response_body(event, status, f"job-files-{bucket}-{prefix}", reason, data)
    url = event.get("ResponseURL")
    if url:
        cfn_response.send(str(url), body)
    return body
