"""The attnlab kernel behind a real Jupyter Server (what JupyterLab talks to): a websocket
client runs cells, the server's interrupt endpoint (SIGINT to the kernel's process group)
stops a busy loop, and the kernel keeps its variables."""
import json
import os
import pathlib
import socket
import struct
import subprocess
import sys
import time
import uuid

import pytest
import requests
import websocket

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKEN = "attnlab-test-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = dict(os.environ, JUPYTER_PATH=str(ROOT / ".venv" / "share" / "jupyter"))
    root_dir = tmp_path_factory.mktemp("notebooks")
    cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root_dir}", "--allow-root"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if requests.get(f"{base}/api/status", params={"token": TOKEN}, timeout=1).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.25)
    else:
        proc.kill()
        raise RuntimeError(proc.stderr.read().decode())
    yield base
    proc.terminate()
    proc.wait(10)


def parse(frame):
    """A websocket frame: JSON text, or jupyter_server's binary form when there are buffers."""
    if isinstance(frame, str):
        return json.loads(frame)
    n = struct.unpack("!I", frame[:4])[0]
    offsets = list(struct.unpack("!" + "I" * n, frame[4 : 4 + 4 * n])) + [len(frame)]
    msg = json.loads(frame[offsets[0] : offsets[1]])
    msg["buffers"] = [frame[offsets[i] : offsets[i + 1]] for i in range(1, n)]
    return msg


class Session:
    def __init__(self, base):
        self.base = base
        r = requests.post(f"{base}/api/kernels", params={"token": TOKEN}, json={"name": "attnlab"})
        r.raise_for_status()
        self.kernel_id = r.json()["id"]
        ws_url = base.replace("http", "ws") + f"/api/kernels/{self.kernel_id}/channels?token={TOKEN}"
        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.session = uuid.uuid4().hex

    def send(self, msg_type, content, channel="shell"):
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "session": self.session, "username": "t", "msg_type": msg_type, "version": "5.3", "date": ""}
        self.ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}))
        return msg_id

    def execute(self, code, wait=True):
        msg_id = self.send("execute_request", {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        return self.collect(msg_id) if wait else msg_id

    def collect(self, msg_id, until=None):
        """Messages parented to msg_id until its execute_reply and idle status (or `until`)."""
        got, reply, idle = [], None, False
        while not (reply and idle):
            m = parse(self.ws.recv())
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            got.append(m)
            if until and until(m):
                return got
            if m["msg_type"] == "execute_reply":
                reply = m
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                idle = True
        return got

    def close(self):
        self.ws.close()
        requests.delete(f"{self.base}/api/kernels/{self.kernel_id}", params={"token": TOKEN})


def result(msgs):
    return next(m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result")


def reply(msgs):
    return next(m["content"] for m in msgs if m["msg_type"] == "execute_reply")


def test_cells_interrupt_and_widget_through_jupyter_server(server):
    s = Session(server)
    try:
        assert result(s.execute("const kept = 41; kept + 1")) == "42"
        # A busy loop, interrupted through the server's REST endpoint (signal to the process group).
        msg_id = s.execute("while (true) {}", wait=False)
        s.collect(msg_id, until=lambda m: m["msg_type"] == "execute_input")
        time.sleep(0.5)
        requests.post(f"{server}/api/kernels/{s.kernel_id}/interrupt", params={"token": TOKEN}).raise_for_status()
        rest = s.collect(msg_id)
        assert reply(rest)["status"] == "error"
        assert reply(rest)["ename"] == "Interrupted"
        assert result(s.execute("kept")) == "41"
        # A widget opened from a cell arrives as comm_open on the websocket, buffers included.
        msgs = s.execute('import { Widget } from "attnlab";\n'
                         'new Widget({ modelName: "M", modelModule: "m", modelModuleVersion: "1", viewName: "V", viewModule: "m", viewModuleVersion: "1" },'
                         ' { x: new Float32Array([1, 2]) })')
        opened = next(m for m in msgs if m["msg_type"] == "comm_open")
        assert opened["content"]["target_name"] == "jupyter.widget"
        assert opened["content"]["data"]["buffer_paths"] == [["x"]]
        assert struct.unpack("<2f", opened["buffers"][0]) == (1.0, 2.0)
        assert "application/vnd.jupyter.widget-view+json" in next(m for m in msgs if m["msg_type"] == "execute_result")["content"]["data"]
    finally:
        s.close()
