"""The class's progress while it is autograded (grading/progress.py): a bar in a terminal, the same
figures on each student's line where the output is a log file or CI's."""
import io
import logging

from grading.progress import ClassProgress, ConsoleHandler


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_one_bar_and_each_line_between_its_redraws():
    terminal = Terminal()
    log = logging.getLogger("tests.progress")
    handler = ConsoleHandler(terminal)
    log.addHandler(handler)
    try:
        with ClassProgress(2, terminal) as progress:
            log.warning("ann: 67 of 100 points in 80 s%s", progress.advance())
            log.warning("bob: 0 of 100 points in 60 s%s", progress.advance())
    finally:
        log.removeHandler(handler)
    shown = terminal.getvalue()
    assert "ann: 67 of 100 points in 80 s [1/2]\n" in shown and "bob: 0 of 100 points in 60 s [2/2]\n" in shown
    assert "autograde: 100%" in shown and "2/2 [" in shown, shown


def test_a_log_file_gets_plain_lines_with_the_rate_and_time_left():
    log_file = io.StringIO()
    with ClassProgress(3, log_file) as progress:
        ends = [progress.advance() for _ in range(3)]
    assert log_file.getvalue() == "", "no bar drawn into a file"
    assert ends[0].startswith(" [1/3, ") and ends[0].endswith(" min left]") and " an hour, " in ends[0]
    assert ends[2].endswith(", 0 min left]")
