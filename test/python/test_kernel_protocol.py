"""The standard jupyter_kernel_test suite against the attnlab kernel.

Run: JUPYTER_PATH=.venv/share/jupyter .venv/bin/python -m pytest test/python
(after `npx tsc -p tsconfig.json` and scripts/setup.d/40-kernelspec.sh).
"""
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
os.environ.setdefault("JUPYTER_PATH", str(ROOT / ".venv" / "share" / "jupyter"))

import jupyter_kernel_test  # noqa: E402


class AttnlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "attnlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("some error")'
    code_generate_error = 'throw new Error("expected failure")'

    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "const attnlabLongName = 1; attnlabLong", "matches": {"attnlabLongName"}},
    ]
    complete_code_samples = ["1 + 1", "const x = [1, 2];", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const x = [1,", "if (true) {"]

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + "b"', "result": "'ab'"},
    ]
    code_display_data = [
        {
            "code": 'import { display } from "attnlab";\n'
            'display({ [Symbol.for("attnlab.display")]() { return { "text/html": "<b>hi</b>" }; } });',
            "mime": "text/html",
        },
        {"code": 'import { display as d2 } from "attnlab";\nd2([1, 2, 3]);', "mime": "text/plain"},
    ]
    code_inspect_sample = "Math.max"
    code_clear_output = 'import { clearOutput } from "attnlab";\nclearOutput();'
