"""SageMaker's inference-handler contract, run inside a worker process next to the model's code.

The model directory's `inference.py` provides `model_fn(model_dir)` and optionally `input_fn`,
`predict_fn` and `output_fn`; missing ones get SageMaker-like JSON defaults. The model is loaded once,
when the worker starts (the endpoint's cold start).
"""

from __future__ import annotations

import base64
import importlib
import json
import os
from typing import Any

_inference = importlib.import_module(os.environ.get("SM_INFERENCE_MODULE", "inference"))
_model = _inference.model_fn(os.environ["SM_MODEL_DIR"])


def _default_input(body: bytes, content_type: str) -> Any:
    if content_type.split(";")[0].strip() in ("application/json", "application/jsonlines"):
        return json.loads(body)
    return body


def _default_predict(data: Any, model: Any) -> Any:
    return model(data)


def _default_output(prediction: Any, accept: str) -> Any:
    return json.dumps(prediction)


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    content_type = event.get("content_type") or "application/json"
    accept = event.get("accept") or "application/json"
    input_fn = getattr(_inference, "input_fn", _default_input)
    predict_fn = getattr(_inference, "predict_fn", _default_predict)
    output_fn = getattr(_inference, "output_fn", _default_output)
    output = output_fn(predict_fn(input_fn(base64.b64decode(event["body"]), content_type), _model), accept)
    output_type = accept
    if isinstance(output, tuple):
        output, output_type = output
    raw = output.encode() if isinstance(output, str) else bytes(output)
    return {"body": base64.b64encode(raw).decode(), "content_type": output_type}
