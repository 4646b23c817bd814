"""Mail is sensitive: no code path of an audit opens a network connection.

Every Python process of the run (the command and its worker processes) starts with an
audit hook, installed through ``sitecustomize``, that refuses and logs any Internet socket,
connection or name lookup. A refusal swallowed by some library still shows in the log.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO

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
