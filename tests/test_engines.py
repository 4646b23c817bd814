"""Every engine writes the same store: local processes, a local Dask cluster, a named one."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox
from analyzer.errors import UsageError
from analyzer.ingest import ingest
from analyzer.store import load_frames


def _rows(store) -> dict[str, list[tuple]]:
    """Each frame's rows as sorted tuples of text: equal stores, equal rows."""
    frames = load_frames(store)
    return {
        name: sorted(map(tuple, getattr(frames, name).astype(str).itertuples(index=False)))
        for name in ("messages", "participants", "hops", "keys")
    }


def _totals(store) -> dict[str, int]:
    return json.loads((store / "mxa-store.json").read_text())["totals"]


@pytest.fixture(scope="module")
def sources(corpora):
    # Outlook files too: a named scheduler's workers may not see them, so they are read here
    return [sample_mailbox(), corpora / "list-open-iscsi-2021-2022", corpora / "pst-samples"]


@pytest.fixture(scope="module")
def local_store(sources, tmp_path_factory):
    store = tmp_path_factory.mktemp("local") / "store"
    ingest(sources, store, jobs=1)
    return store


def test_a_local_dask_cluster_writes_the_same_store(sources, local_store, tmp_path):
    ingest(sources, tmp_path / "store", jobs=2, engine="dask")
    assert _rows(tmp_path / "store") == _rows(local_store)
    assert _totals(tmp_path / "store") == _totals(local_store)


def test_a_named_scheduler_is_used(sources, local_store, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        ingest(sources, tmp_path / "store", engine="dask", scheduler=cluster.scheduler_address)
    assert _rows(tmp_path / "store") == _rows(local_store)


def test_an_unknown_engine_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="unknown engine 'spark'"):
        ingest([sample_mailbox()], tmp_path / "store", jobs=2, engine="spark")


def _drawn(graphml):
    graph = nx.read_graphml(graphml)
    return sorted(graph.nodes(data=True)), sorted(graph.edges(data=True))


def test_an_audit_on_dask_finds_and_draws_what_the_local_one_does(sources, tmp_path):
    """On Dask, the extraction and the communication graph's aggregations (dask.dataframe
    over the store's Parquet parts) run on the cluster; the results are the local ones."""
    local = run_audit(sources, tmp_path / "local", jobs=1)
    on_dask = run_audit(sources, tmp_path / "dask", jobs=2, engine="dask")
    assert _rows(tmp_path / "dask" / "store") == _rows(tmp_path / "local" / "store")
    assert json.dumps(on_dask.findings, sort_keys=True, default=str) == json.dumps(
        local.findings, sort_keys=True, default=str
    )
    graph = "graphs/communication.graphml"
    assert _drawn(tmp_path / "dask" / graph) == _drawn(tmp_path / "local" / graph)
    assert nx.read_graphml(tmp_path / "local" / graph).number_of_edges() > 100


def test_a_quiet_audit_on_dask_prints_no_cluster_chatter(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "audit", str(sample_mailbox()), "--out",
         str(tmp_path / "out"), "--engine", "dask", "--jobs", "2", "-q"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and "Shuffle" not in done.stderr
    assert (tmp_path / "out" / "graphs" / "communication.graphml").exists()
