"""Where hand-ins are graded: Dask workers, each grading one unit of work (``unit.py``) at a time.

Without ``--cluster``, a Dask ``LocalCluster`` of ``--jobs`` worker processes on this machine, each
with its share of the cores and a sandbox user of its own; with ``--cluster tcp://HOST:PORT``, the
workers of a Dask scheduler (``Cluster``), started with ``python -m grading worker tcp://HOST:PORT``
(``serve``) on any machine with the same kit, bubblewrap and the dataset. The instructor's process only submits
jobs and merges results: a worker lost mid-class has its jobs graded again elsewhere (once), and a
student's crash or timeout is a result like any other, never retried.
"""
import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass

import dask
from distributed import Client, LocalCluster, Worker, WorkerPlugin

from ..course import GradingError
from ..judging.sandbox import SandboxedKernelManager

log = logging.getLogger(__name__)
CONNECT_SECONDS = 10  # to reach the scheduler
# A worker that dies mid-job hands its jobs to another once; a second death fails the job, naming it.
SETTINGS = {"distributed.scheduler.allowed-failures": 1, "distributed.worker.memory.target": False,
            "distributed.worker.memory.spill": False, "distributed.worker.memory.pause": False,
            "distributed.worker.memory.terminate": False}


@dataclass(frozen=True)
class Cluster:
    """A Dask scheduler's ``address`` (tcp://HOST:PORT), and how long to wait for its first worker (a
    batch system may take minutes to start one)."""

    address: str
    wait_seconds: float = 30


@contextlib.contextmanager
def grading_client(cluster=None, jobs=1):
    """A Dask client of ``cluster``'s scheduler, or of a LocalCluster of ``jobs`` workers."""
    with dask.config.set(SETTINGS), contextlib.ExitStack() as stack:
        if cluster:
            client = stack.enter_context(_connected(cluster))
        else:
            local = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                     memory_limit=0, dashboard_address=None,
                                                     silence_logs=logging.ERROR))
            client = stack.enter_context(Client(local))
            client.register_plugin(JobSlot(jobs))
        yield client


@contextlib.contextmanager
def _connected(cluster):
    """A client of ``cluster``'s scheduler with at least one worker; GradingError naming the address."""
    address = cluster.address
    try:
        client = Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as error:
        raise GradingError(f"no Dask scheduler answers at {address} ({type(error).__name__}): start one there with "
                           f"`dask scheduler`, then workers with `python -m grading worker {address}`") from None
    try:
        try:
            client.wait_for_workers(1, timeout=cluster.wait_seconds)
        except TimeoutError:
            raise GradingError(f"the Dask scheduler at {address} has no worker after {cluster.wait_seconds:g} s: start "
                               f"them with `python -m grading worker {address}`, or wait longer with "
                               "--wait-for-workers SECONDS") from None
        yield client
    finally:
        client.close()


class JobSlot(WorkerPlugin):
    """On each worker of a LocalCluster (named 0, 1, ...): its share of the cores."""

    def __init__(self, jobs):
        self.jobs = jobs

    def setup(self, worker):
        take_slot(int(worker.name), self.jobs)


def take_slot(slot, jobs):
    """Grade, in this process, on the cores of job slot ``slot`` of ``jobs``."""
    cores = sorted(os.sched_getaffinity(0))
    SandboxedKernelManager.cpus = cores[slot::jobs] or cores


def serve(address):
    """Run a worker of the scheduler at ``address`` in this process until it is stopped (one job at a
    time, on every core); the caller checked what a job needs first."""

    async def run():
        async with Worker(address, nthreads=1, memory_limit=0,
                          name=f"lungkit-{os.uname().nodename}-{os.getpid()}") as worker:
            log.info("grading worker %s of %s: ready", worker.name, address)
            await worker.finished()

    with dask.config.set(SETTINGS):
        asyncio.run(run())
