"""Mail is sensitive: no code path of an audit opens a network connection.

Every Python process of the run (the command and its worker processes) starts with an
audit hook, installed through ``sitecustomize``, that refuses and logs any Internet socket,
connection or name lookup. A refusal swallowed by some library still shows in the log.
"""

import ast
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, make_message

GUARD = textwrap.dedent(
    """
    import os, socket, sys

    _LOG = os.environ["MXA_NETWORK_LOG"]
    _INTERNET = {socket.AF_INET, socket.AF_INET6}

    def _refuse(event, args):
        if event == "socket.__new__" and args[1] not in _INTERNET:
            return  # local sockets (multiprocessing's pipes) are no network
        with open(_LOG, "a") as log:
            log.write(f"{os.getpid()} {event} {args!r}\\n")
        raise OSError(f"network use refused in an offline test: {event}")

    def _hook(event, args):
        if event in ("socket.__new__", "socket.connect", "socket.getaddrinfo",
                     "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto",
                     "urllib.Request", "http.client.connect"):
            _refuse(event, args)

    sys.addaudithook(_hook)
    """
)


@pytest.fixture
def offline_env(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "network.log"
    env = dict(os.environ, MXA_NETWORK_LOG=str(log), PYTHONPATH=f"{guard}{os.pathsep}{REPO}")
    return env, log


def test_the_guard_catches_a_connection(offline_env):
    """The guard is real: a plain connection attempt is refused and logged."""
    env, log = offline_env
    code = "import socket; socket.create_connection(('192.0.2.1', 25), timeout=1)"
    completed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert completed.returncode != 0
    assert "socket" in log.read_text()


def test_a_whole_audit_runs_with_the_network_refused(offline_env, tmp_path):
    env, log = offline_env
    sample = REPO / "sample_data"
    out = tmp_path / "audit"
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "audit", str(sample), "--out", str(out), "--jobs", "2"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert not log.exists(), log.read_text()
    findings = json.loads((out / "findings.json").read_text())
    assert findings["input"]["messages_parsed"] > 0
    store = str(out / "store")
    for command in (
        ["links", "--store", store, "--json"],
        ["graph", "--store", store, "--out", str(tmp_path / "g")],
        ["export", "--store", store, "--out", str(tmp_path / "csv")],
    ):
        completed = subprocess.run(
            [sys.executable, "-m", "analyzer", *command], env=env, capture_output=True, text=True
        )
        assert completed.returncode == 0, completed.stderr
    assert not log.exists(), log.read_text()


# The one exception: the IMAP server the user names, reached from analyzer/sources/imap_client.py.
IMAP_GUARD = GUARD.replace(
    "\ndef _hook(event, args):\n",
    "\n"
    + textwrap.dedent(
        """\
        _IMAP_SOURCE = os.path.join("analyzer", "sources", "imap_client.py")

        def _from_imap_source():
            frame = sys._getframe(2)
            while frame is not None:
                if frame.f_code.co_filename.endswith(_IMAP_SOURCE):
                    return True
                frame = frame.f_back
            return False

        _original_refuse = _refuse

        def _refuse(event, args):
            if _from_imap_source():
                with open(_LOG + ".imap", "a") as log:
                    log.write(f"{os.getpid()} {event} {args!r}\\n")
                return
            _original_refuse(event, args)

        """
    )
    + "\ndef _hook(event, args):\n",
)


def test_only_the_imap_source_opens_a_socket_and_only_to_the_server(offline_env, tmp_path, dovecot):
    from tests.imap_server import PASSWORD

    env, log = offline_env
    (tmp_path / "guard" / "sitecustomize.py").write_text(IMAP_GUARD)
    dovecot.append("Offline", [make_message(message_id="<offline@x>")])
    env = dict(env, MXA_IMAP_PASSWORD=PASSWORD)
    command = ["ingest", dovecot.address("Offline"), "--cafile", dovecot.cafile,
               "--store", str(tmp_path / "s"), "--jobs", "2", "-q"]  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", *command], env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    assert not log.exists(), log.read_text()  # nothing else touched the network
    allowed = (tmp_path / "network.log.imap").read_text()
    assert f"127.0.0.1', {dovecot.imaps_port}" in allowed  # it did reach the server
    ports = {int(p) for p in re.findall(r"'127\.0\.0\.1', (\d+)\)", allowed)}
    assert ports == {dovecot.imaps_port}


def test_no_other_module_imports_a_network_library():
    allowed = REPO / "analyzer" / "sources" / "imap_client.py"
    network = {"imapclient", "imaplib", "smtplib", "poplib", "ftplib", "http", "urllib.request",
               "requests", "httpx", "aiohttp", "ssl"}  # fmt: skip
    for path in (REPO / "analyzer").rglob("*.py"):
        if path == allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not any(name == n or name.startswith(n + ".") for n in network), (
                    f"{path.relative_to(REPO)} imports {name}"
                )
