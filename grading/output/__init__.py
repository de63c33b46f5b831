"""Output: what leaves the grader. The student release, feedback pages, grade files and LMS rosters,
each checked to hold no solution or hidden test (``leaks``) and to be inert (``inert``)."""
