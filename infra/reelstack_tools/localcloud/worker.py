"""A function's sandbox process: import the handler once (cold start), then serve invocations.

Run as `python -m reelstack_tools.localcloud.worker SPEC_JSON`. Frames arrive on a private copy of
stdin and answers leave on a private copy of stdout; fd 0 then reads /dev/null and fd 1 writes to
stderr, so a handler that prints (or reads stdin) cannot corrupt the protocol. Everything on stderr is
the function's log.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

from reelstack_tools.localcloud.framing import read_frame, write_frame

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda's Python runtime passes to a handler."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields.get("function_version", "$LATEST")
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.memory_limit_in_mb: str = str(fields["memory_limit_in_mb"])
        self.aws_request_id: str = fields["aws_request_id"]
        self.log_group_name: str = f"/aws/lambda/{self.function_name}"
        self.log_stream_name: str = fields.get("log_stream_name", "local")
        self.identity: Any = None
        self.client_context: Any = None
        self.tenant_id: str | None = None
        self._deadline_ms: int = int(fields["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_payload(
    error: BaseException, error_type: str | None = None, skip_frames: int = 0
) -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)[skip_frames:]
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def load_handler(spec: str) -> Handler:
    module_name, _, attribute = spec.rpartition(".")
    module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, attribute, None)
    if handler is None:
        raise AttributeError(f"Handler '{attribute}' missing on module '{module_name}'")
    return handler


def _init(spec: dict[str, Any]) -> tuple[Handler | None, dict[str, Any] | None]:
    os.chdir(spec["code_dir"])
    sys.path[:0] = [spec["code_dir"], *spec.get("python_path", [])]
    try:
        return load_handler(spec["handler"]), None
    except ImportError as error:
        module = spec["handler"].rpartition(".")[0]
        message = f"Unable to import module '{module}': {error}"
        return None, {"errorMessage": message, "errorType": "Runtime.ImportModuleError", "stackTrace": []}
    except SyntaxError as error:
        return None, error_payload(error, "Runtime.UserCodeSyntaxError")
    except AttributeError as error:
        return None, {"errorMessage": str(error), "errorType": "Runtime.HandlerNotFound", "stackTrace": []}
    except Exception as error:
        return None, error_payload(error)


def _invoke(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(request["context"])
    try:
        result = handler(json.loads(request["payload"]), context)
    except Exception as error:
        payload = error_payload(error, skip_frames=1)
        sys.stderr.write(f"[ERROR] {payload['errorType']}: {payload['errorMessage']}\n")
        sys.stderr.write("".join(traceback.format_exception(error)))
        return {"ok": False, "error": payload}
    try:
        return {"ok": True, "payload": json.dumps(result)}
    except (TypeError, ValueError) as error:
        message = f"Unable to marshal response: {error}"
        return {
            "ok": False,
            "error": {"errorMessage": message, "errorType": "Runtime.MarshalError", "stackTrace": []},
        }


def serve(spec: dict[str, Any], requests: IO[bytes], answers: IO[bytes]) -> None:
    started = time.monotonic()
    handler, init_error = _init(spec)
    init_ms = (time.monotonic() - started) * 1000
    write_frame(answers, {"type": "ready", "init_ms": init_ms, "error": init_error})
    first = True
    while (request := read_frame(requests)) is not None:
        request_id = request["context"]["aws_request_id"]
        sys.stderr.write(f"START RequestId: {request_id} Version: $LATEST\n")
        began = time.monotonic()
        answer = _invoke(handler, request) if handler else {"ok": False, "error": init_error}
        duration = (time.monotonic() - began) * 1000
        init_note = f"\tInit Duration: {init_ms:.2f} ms" if first else ""
        sys.stderr.write(
            f"END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {duration:.2f} ms"
            f"\tMemory Size: {request['context']['memory_limit_in_mb']} MB{init_note}\n"
        )
        sys.stderr.flush()
        write_frame(answers, answer)
        first = False


def main() -> int:
    spec = json.loads(sys.argv[1])
    answers = os.fdopen(os.dup(1), "wb")
    requests = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    serve(spec, requests, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
