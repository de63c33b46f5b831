"""What autograding costs: against running the notebooks, the sandbox's overhead, and hand-ins per
hour one and two at a time.

    python benchmarks/grading_speed.py [--hand-ins 4] [--ratio-only]

Releases the kit into a temporary course, trains the fast model once, hands in the solution
``--hand-ins`` times, and autogrades them all three ways: sandboxed one at a time, not
sandboxed one at a time, and sandboxed two at a time (``--jobs 2``). First it executes one
hand-in's five notebooks once with nbconvert, in the environment the grading kernels get
(``LUNGKIT_FAST=1 LUNGKIT_GRADING=1``): the cost ratio is grading one hand-in, sandboxed and one at
a time, against that. Prints the seconds of each way, hand-ins per hour, CPU seconds a hand-in (the
whole machine's, so that the processes of every user count), the ratio, the sandbox's
overhead, and a projection for a class of 300 on a 16-core machine (assuming that a core grades
as fast there as here). ``--ratio-only`` grades one hand-in, sandboxed, and prints the ratio
(about 3 minutes). Needs ``LUNGKIT_DATA`` and bubblewrap; about 12 minutes on 2 cores.
Wall-clock times: run it on an idle machine.
"""
import argparse
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grading.autograding.autograde import autograde  # noqa: E402
from grading.intake.collect import collect  # noqa: E402
from grading.judging.questions import autograded_points  # noqa: E402
from grading.course import KIT, step_dir  # noqa: E402
from grading.autograding.preprocessors import kernel_environment  # noqa: E402
from grading.output.release import release  # noqa: E402

WAYS = {"sandboxed, one at a time": dict(sandbox=True, jobs=1),
        "not sandboxed, one at a time": dict(sandbox=False, jobs=1),
        "sandboxed, two at a time": dict(sandbox=True, jobs=2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hand-ins", type=int, default=4, help="copies of the solution to grade (default: %(default)s)")
    parser.add_argument("--ratio-only", action="store_true", help="grade one hand-in, sandboxed: the cost ratio only")
    args = parser.parse_args(argv)
    if args.ratio_only:
        args.hand_ins = 1
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        course = release(scratch / "course").parents[1]
        weights = scratch / "weights"
        subprocess.run([sys.executable, "-m", "reference.pipeline", "--out", str(weights)], cwd=KIT, check=True,
                       env={**os.environ, "LUNGKIT_FAST": "1"}, stdout=subprocess.DEVNULL)
        for index in range(args.hand_ins):
            hand_in = scratch / "hand_ins" / f"student{index}"
            shutil.copytree(step_dir(course, "source"), hand_in)
            shutil.copytree(weights, hand_in / "artifacts")
        busy = busy_cpu_seconds()
        plain = run_notebooks(scratch / "hand_ins" / "student0", scratch / "plain")
        print(f"running one hand-in's five notebooks once (nbconvert, grading environment): {plain:.0f} s, "
              f"{busy_cpu_seconds() - busy:.0f} s of CPU")
        collect(scratch / "hand_ins", course)
        full = sum(autograded_points(sorted(step_dir(course, "source").glob("*.ipynb"))).values())
        per_hour = {}
        for way, options in WAYS.items():
            start, busy = time.perf_counter(), busy_cpu_seconds()
            with PeakMemory() as memory:
                results = autograde(course, **options)
            seconds, busy = time.perf_counter() - start, busy_cpu_seconds() - busy
            assert all(result["score"] == full for result in results.values()), results  # the solution, every point
            per_hour[way] = 3600 * args.hand_ins / seconds
            print(f"{way}: {args.hand_ins} hand-ins in {seconds:.0f} s, {per_hour[way]:.0f} hand-ins per hour, "
                  f"{busy / args.hand_ins:.0f} s of CPU a hand-in; memory at most {memory.peak / 2**30:.1f} GiB "
                  f"({memory.peak / options['jobs'] / 2**30:.1f} GiB a job)")
            if options == WAYS["sandboxed, one at a time"]:
                print(f"cost ratio: grading a hand-in takes {seconds / args.hand_ins / plain:.2f} times running its "
                      "notebooks")
                if args.ratio_only:
                    return
    one, unconfined, two = per_hour.values()
    print(f"sandbox overhead: {unconfined / one - 1:+.0%} time per hand-in ({3600 / one - 3600 / unconfined:+.1f} s)")
    hours = 300 / (two / 2 * 16)
    print(f"300 hand-ins on 16 cores with --jobs 16, at {two / 2:.0f} hand-ins per core-hour: {hours * 60:.0f} minutes")


def busy_cpu_seconds():
    """Seconds of CPU the whole machine has spent busy since it started (Linux's /proc/stat): the
    difference over a run counts every process, sandboxed or not, on an otherwise idle machine."""
    with open("/proc/stat") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


class PeakMemory:
    """The largest resident memory of this process and all its descendants (workers, kernels, evidence
    processes, sandboxed or not: as root, psutil reads every user's), sampled twice a second."""

    def __enter__(self):
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        me = psutil.Process()
        while not self._stop.wait(0.5):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def run_notebooks(hand_in, scratch):
    """Seconds to execute the hand-in's five notebooks once, one after another, with nbconvert in the
    grading kernels' environment, on a copy of the hand-in."""
    shutil.copytree(hand_in, scratch)
    start = time.perf_counter()
    for notebook in sorted(scratch.glob("*.ipynb")):
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                        "--ExecutePreprocessor.timeout=600", notebook.name], cwd=scratch, check=True,
                       env=kernel_environment(), capture_output=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
