"""Where the work runs: here, on local worker processes, or on Dask.

The ingest pipeline plans the reading and writes the store itself; an engine only runs
:func:`analyzer.ingest.workers.extract_work` on its units of work (batches of header
blocks, byte ranges of plain mbox files, chunks of IMAP folders) and hands the Arrow
tables back in the order the units went out, so that every engine writes the same
store. The analysis uses an engine too (:func:`aggregate_on_dask`), which is why this
module sits beside ``analyzer.ingest``, not in it.

- ``local`` (the default): ``jobs`` worker processes on this machine, or this process
  alone with ``jobs=1``. Nothing leaves the machine and no socket is opened.
- ``dask``: the workers of a ``dask.distributed`` cluster, the one at ``scheduler``
  (``tcp://host:8786``) or a ``LocalCluster`` of ``jobs`` processes started for the run.
  Dask talks TCP, to the cluster the user names or on the loopback interface: unlike
  the local engine, it opens sockets. The per-message time budget needs a process's main
  thread, which Dask workers do not run tasks on; on Dask it does not apply.

On Dask, the analysis's heaviest frame aggregations run there too
(:func:`aggregate_on_dask`): ``dask.dataframe`` over the store's Parquet parts.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

from analyzer.errors import UsageError

__all__ = ["ENGINES", "aggregate_on_dask", "in_order"]

ENGINES = ("local", "dask")
_NEEDS_DASK = "--engine dask needs Dask: pip install 'dask[dataframe,distributed]' (or mxa[dask])"


class _Submitter(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...


def in_order(
    work: Callable[[Any], Any],
    items: Iterator[tuple[Any, Any]],
    *,
    engine: str = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[tuple[Any, Any]]:
    """``(work(item), tag)`` for each ``(item, tag)``, in order, with a bounded number of
    items in flight on the chosen engine."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}")
    if engine == "local" and jobs <= 1:
        for item, tag in items:
            yield work(item), tag
        return
    with _executor(engine, jobs, scheduler, initializer, initargs) as (pool, width):
        pending: deque[tuple[Any, Any]] = deque()
        for item, tag in items:
            pending.append((pool.submit(work, item), tag))
            if len(pending) >= width * 3:
                future, reached = pending.popleft()
                yield future.result(), reached
        while pending:
            future, reached = pending.popleft()
            yield future.result(), reached


@contextlib.contextmanager
def _executor(
    engine: str,
    jobs: int,
    scheduler: str | None,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> Iterator[tuple[_Submitter, int]]:
    if engine == "local":
        with ProcessPoolExecutor(
            max_workers=jobs, initializer=initializer, initargs=initargs
        ) as pool:
            yield pool, jobs
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(_NEEDS_DASK) from None
    if scheduler:
        with Client(scheduler) as client:
            width = max(1, sum(client.nthreads().values()))
            yield client, width
        return
    workers = jobs or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        yield client, workers


def aggregate_on_dask(
    aggregate: Callable[..., dict[str, Any]],
    tables: dict[str, tuple[list[Any], list[str]] | Any],
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """``aggregate(**frames)`` as ``dask.dataframe`` frames, computed on a Dask cluster.

    Each table is either ``(parquet_files, columns)``, which the workers read themselves
    (they must see the files: a local cluster does), or a pandas frame that is sent to
    them. ``aggregate`` must build its results with the pandas API that dask.dataframe
    shares; they come back as pandas objects.
    """
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise UsageError(_NEEDS_DASK) from None
    with (
        _quiet_shuffles(),
        _executor("dask", jobs or os.cpu_count() or 1, scheduler, None, ()) as (_, width),
    ):
        frames = {}
        for name, table in tables.items():
            if isinstance(table, tuple):
                files, columns = table
                frames[name] = dd.read_parquet([str(f) for f in files], columns=columns)
            else:
                frames[name] = dd.from_pandas(table, npartitions=max(1, width))
        (computed,) = dask.compute(aggregate(**frames))
    return computed


@contextlib.contextmanager
def _quiet_shuffles() -> Iterator[None]:
    """The scheduler logs a warning as each shuffle of a join starts and ends: routine,
    not news for someone running ``mxa -q``."""
    log = logging.getLogger("distributed.shuffle")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
