"""A student, as a program: logs in to the hub, starts a server, opens kernels and runs cells over
the kernel websocket, the way JupyterLab does. Used by test/python/test_classroom.py and
bench/classroom.py (one copy of the protocol code). Needs `requests` and `websocket-client`."""
import json
import re
import struct
import time
import uuid

import requests
import websocket


class HubError(RuntimeError):
    pass


def parse_frame(frame):
    """A websocket frame: JSON text, or jupyter_server's binary form when there are buffers."""
    if isinstance(frame, str):
        return json.loads(frame)
    n = struct.unpack("!I", frame[:4])[0]
    offsets = list(struct.unpack("!" + "I" * n, frame[4: 4 + 4 * n])) + [len(frame)]
    msg = json.loads(frame[offsets[0]: offsets[1]])
    msg["buffers"] = [frame[offsets[i]: offsets[i + 1]] for i in range(1, n)]
    return msg


class Student:
    def __init__(self, base, name, password, verify=True):
        self.base, self.name, self.password = base.rstrip("/"), name, password
        self.http = requests.Session()
        # Passed with every request: a session-wide verify=False loses to REQUESTS_CA_BUNDLE.
        self.verify = verify
        self.token = None

    # --- the hub ------------------------------------------------------------------------------
    def login_form(self):
        """Logs in through the login page, as a browser does; returns the response (302 on success)."""
        r = self.http.get(f"{self.base}/hub/login", timeout=30, verify=self.verify)
        r.raise_for_status()
        xsrf = self.http.cookies.get("_xsrf") or re.search(r'name="_xsrf" value="([^"]+)"', r.text).group(1)
        return self.http.post(f"{self.base}/hub/login", data={"username": self.name, "password": self.password, "_xsrf": xsrf},
                              allow_redirects=False, timeout=60, verify=self.verify)

    def login_api(self, note="attnlab classroom client"):
        """Logs in through the REST API (username + password in the body) and keeps the API token."""
        r = requests.post(f"{self.base}/hub/api/users/{self.name}/tokens", json={"auth": {"username": self.name, "password": self.password}, "note": note},
                          timeout=120, verify=self.verify)
        if r.status_code != 201:
            raise HubError(f"login of {self.name} through the API: {r.status_code} {r.text[:200]}")
        self.token = r.json()["token"]
        self.http.headers["Authorization"] = f"token {self.token}"
        return self.token

    def hub(self, method, path, **kw):
        return self.http.request(method, f"{self.base}/hub/api{path}", timeout=kw.pop("timeout", 60), verify=self.verify, **kw)

    def start_server(self, timeout=600):
        """Asks for the server and waits until the hub says it is ready; returns the seconds it took.
        While the hub is at its limit of servers (429, "try again later") the student waits and asks again."""
        t0 = time.time()
        self.waited = 0.0  # seconds spent told "try again" (429) before the hub took the start
        while True:
            r = self.hub("POST", f"/users/{self.name}/server")
            if r.status_code != 429 or time.time() - t0 > timeout:
                break
            time.sleep(5)
            self.waited = time.time() - t0
        if r.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"start of {self.name}'s server: {r.status_code} {r.text[:200]}")
        while time.time() - t0 < timeout:
            model = self.hub("GET", f"/users/{self.name}").json()
            srv = model.get("servers", {}).get("")
            if srv and srv.get("ready"):
                return time.time() - t0
            if not model.get("pending") and not srv and time.time() - t0 > 5:
                raise HubError(f"{self.name}'s server failed to start: {model}")
            time.sleep(0.5)
        raise HubError(f"{self.name}'s server not ready after {timeout} s")

    def stop_server(self):
        r = self.hub("DELETE", f"/users/{self.name}/server")
        t0 = time.time()
        while r.status_code == 202 and time.time() - t0 < 120:
            if not self.hub("GET", f"/users/{self.name}").json().get("servers"):
                break
            time.sleep(0.5)

    # --- the student's own server ----------------------------------------------------------
    def server(self, method, path, **kw):
        return self.http.request(method, f"{self.base}/user/{self.name}/api{path}", timeout=kw.pop("timeout", 60), verify=self.verify, **kw)

    def kernel(self, name="attnlab", timeout=600):
        return Kernel(self, name, timeout)


class Kernel:
    """A kernel of the student's server, connected as JupyterLab connects: open the websocket,
    ask kernel_info and wait for the reply before the first cell; if the server closes the
    websocket before that (a kernel still starting on a busy machine), connect again, up to
    RECONNECTS times (JupyterLab's kernel connection also reconnects after a close). `reconnects`
    counts how often that happened."""

    RECONNECTS = 7

    def __init__(self, student, name, timeout):
        self.student, self.timeout = student, timeout
        r = student.server("POST", "/kernels", json={"name": name}, timeout=timeout)
        if r.status_code != 201:
            raise HubError(f"{student.name}: new kernel: {r.status_code} {r.text[:200]}")
        self.id = r.json()["id"]
        self.session = uuid.uuid4().hex
        self.reconnects = 0
        while True:
            try:
                self._connect()
                self.info = self._request("kernel_info_request", {}, "kernel_info_reply")
                return
            except (websocket.WebSocketException, OSError) as e:
                model = student.server("GET", f"/kernels/{self.id}")
                if self.reconnects >= self.RECONNECTS or model.status_code != 200 or model.json().get("execution_state") == "dead":
                    raise HubError(f"{student.name}: kernel {self.id} not reachable after {self.reconnects} reconnect(s): {type(e).__name__}: {e}") from e
                self.reconnects += 1
                time.sleep(min(2 ** self.reconnects, 30))

    def _connect(self):
        st = self.student
        url = st.base.replace("http", "ws", 1) + f"/user/{st.name}/api/kernels/{self.id}/channels"
        sslopt = None if st.verify else {"cert_reqs": 0}
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {st.token}"], timeout=self.timeout, sslopt=sslopt)

    def _request(self, msg_type, content, reply_type):
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "session": self.session, "username": self.student.name, "msg_type": msg_type, "version": "5.3", "date": ""}
        self.ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}))
        while True:
            m = parse_frame(self.ws.recv())
            if m.get("parent_header", {}).get("msg_id") == msg_id and m["msg_type"] == reply_type:
                return m["content"]

    def execute(self, code, on_message=None):
        """Runs one cell; returns its messages (iopub and the reply). on_message(msg) sees each as it comes."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "session": self.session, "username": self.student.name, "msg_type": "execute_request", "version": "5.3", "date": ""}
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        self.ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}))
        got, reply, idle = [], None, False
        while not (reply and idle):
            m = parse_frame(self.ws.recv())
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            got.append(m)
            if on_message:
                on_message(m)
            if m["msg_type"] == "execute_reply":
                reply = m
            elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                idle = True
        return got

    def close(self):
        try:
            self.ws.close()
        finally:
            self.student.server("DELETE", f"/kernels/{self.id}")


def reply_of(msgs):
    return next(m["content"] for m in msgs if m["msg_type"] == "execute_reply")


def text_of(msgs):
    out = []
    for m in msgs:
        if m["msg_type"] == "stream":
            out.append(m["content"]["text"])
        elif m["msg_type"] in ("execute_result", "display_data"):
            out.append(m["content"]["data"].get("text/plain", ""))
        elif m["msg_type"] == "error":
            out.append(f"{m['content']['ename']}: {m['content']['evalue']}")
    return "".join(out)


def shows_figure(msgs):
    """True when a cell displayed a figure: a widget view or a static SVG/PNG."""
    kinds = ("application/vnd.jupyter.widget-view+json", "image/svg+xml", "image/png")
    return any(m["msg_type"] in ("execute_result", "display_data") and any(k in m["content"]["data"] for k in kinds) for m in msgs)


def widget_state(msgs_lists):
    """The widget-state metadata JupyterLab would save, from the comm messages a front end saw:
    comm_open gives a model's state, comm_msg "update" changes it (buffers are not kept: the
    quiz has none)."""
    models = {}
    for msgs in msgs_lists:
        for m in msgs:
            c = m["content"]
            if m["msg_type"] == "comm_open" and c.get("target_name") == "jupyter.widget":
                st = c["data"]["state"]
                models[c["comm_id"]] = {"model_name": st.get("_model_name"), "model_module": st.get("_model_module"),
                                        "model_module_version": st.get("_model_module_version"), "state": dict(st)}
            elif m["msg_type"] == "comm_msg" and c["comm_id"] in models and c["data"].get("method") == "update":
                models[c["comm_id"]]["state"].update(c["data"]["state"])
    return {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": models}}
