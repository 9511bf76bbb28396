"""The classroom's JupyterHub authenticator: the roster's names, each with their own password.
Depends only on JupyterHub and roster.py, so the same file serves the local hub and a Zero to
JupyterHub deployment (deploy/values.yaml mounts it into the hub pod)."""
import asyncio

from jupyterhub.auth import Authenticator
from traitlets import Unicode

from . import roster


class ClassroomAuthenticator(Authenticator):
    """Logs in the names in <classroom dir>/roster.json with their own password (scrypt hash);
    lecturers are hub admins. Nobody else can log in and there is no sign-up. The roster is read
    at every login, so `classroom.py add/remove` take effect without restarting the hub."""

    classroom_dir = Unicode(help="Folder holding roster.json").tag(config=True)

    def check_allow_config(self):
        pass  # the roster is the allow list

    async def authenticate(self, handler, data):
        name = self.normalize_username(str(data.get("username", "")))
        password = str(data.get("password", ""))
        entry = roster.load(self.classroom_dir)["users"].get(name)
        stored = entry["password"] if entry else roster.DUMMY_HASH
        ok = await asyncio.get_running_loop().run_in_executor(None, roster.verify_password, password, stored)
        if not (ok and entry):
            self.log.warning("classroom: failed login for %r", name)
            return None
        return {"name": name, "admin": entry["role"] == "lecturer"}

    def check_allowed(self, username, authentication=None):
        return username in roster.load(self.classroom_dir)["users"]
