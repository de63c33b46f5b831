"""The error of the instructor's commands."""


class GradingError(RuntimeError):
    """A step of the instructor workflow cannot go on; the message says why and what to do."""
