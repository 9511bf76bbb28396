"""A notebook run headless through nbclient with store_widget_state=True: the saved
widget state must hold the widget the notebook created (model, state, binary buffer)."""
import base64
import os
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
os.environ.setdefault("JUPYTER_PATH", str(ROOT / ".venv" / "share" / "jupyter"))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_notebook_with_widget_saves_widget_state(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "attnlab", "display_name": "attnlab (TypeScript)", "language": "typescript"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            'import { Widget } from "attnlab";\n'
            'const spec = { modelName: "NbModel", modelModule: "attnlab-test", modelModuleVersion: "0.1.0",\n'
            '               viewName: "NbView", viewModule: "attnlab-test", viewModuleVersion: "0.1.0" };\n'
            'const w = new Widget(spec, { label: "first", weights: { data: new Float32Array([1, 2, 3]), shape: [3] } });\n'
            "w"
        ),
        nbformat.v4.new_code_cell('w.set("label", "second");\nw.id'),
    ]
    client = NotebookClient(nb, kernel_name="attnlab", timeout=120, store_widget_state=True, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    view = nb.cells[0].outputs[0]["data"][WIDGET_VIEW]
    model_id = view["model_id"]
    assert view["version_major"] == 2
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == repr(model_id)

    saved = nb.metadata["widgets"][WIDGET_STATE]["state"]
    assert model_id in saved
    entry = saved[model_id]
    assert entry["model_name"] == "NbModel"
    assert entry["model_module"] == "attnlab-test"
    assert entry["state"]["label"] == "second"  # the later update was recorded
    assert entry["state"]["weights"]["shape"] == [3]
    buffers = entry["buffers"]
    assert [b["path"] for b in buffers] == [["weights", "data"]]
    raw = base64.b64decode(buffers[0]["data"])
    assert struct.unpack("<3f", raw) == (1.0, 2.0, 3.0)
