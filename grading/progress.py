"""The class's progress while it is autograded: one bar (done / total, rate, time left) in a terminal or
a notebook, drawn by tqdm; where the output is neither (CI, a log file), the same figures on each
student's line instead. Each student's line is logged by the caller between the bar's redraws."""
import logging
import sys
import time

from tqdm.auto import tqdm

CONSOLE = None  # the console's stream while ``python -m grading`` sends everything else to its log file


class ClassProgress:
    """Progress over ``total`` hand-ins, shown on ``stream`` (the console)."""

    def __init__(self, total, stream=None):
        self.stream = stream or CONSOLE or sys.stderr
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.bar = tqdm(total=total, unit="hand-in", file=self.stream, disable=not interactive(self.stream),
                        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]",
                        desc="autograde", dynamic_ncols=True, leave=True)

    def advance(self):
        """Count one more hand-in done; return the end of its line: `` [3/36]``, with the rate and the time
        left where no bar shows them: `` [3/36, 40 an hour, 50 min left]``."""
        self.bar.update(1)
        self.done += 1
        if not self.bar.disable:
            return f" [{self.done}/{self.total}]"
        elapsed = max(time.monotonic() - self.start, 1e-9)
        left = elapsed / self.done * (self.total - self.done)
        return f" [{self.done}/{self.total}, {3600 * self.done / elapsed:.0f} an hour, {left / 60:.0f} min left]"

    def close(self):
        self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def interactive(stream):
    """Whether ``stream`` is a terminal, or this runs in a notebook (tqdm then draws a widget)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    return bool(getattr(stream, "isatty", lambda: False)()) or type(shell).__name__ == "ZMQInteractiveShell"


class ConsoleHandler(logging.StreamHandler):
    """A logging handler that writes between a progress bar's redraws, as ``tqdm.write`` does."""

    def emit(self, record):
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001: as logging's own handlers do
            self.handleError(record)
