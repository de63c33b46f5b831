"""Judging: what earns a point. The questions and their verdicts, the evidence they are judged on, the
kit's own solutions as references (``kit_helpers``), and the sandbox that keeps student code from all
of it. ``sandboxed/`` is what runs inside the sandbox: it imports nothing of the grader."""
