"""The instructor side of the kit: release, collect, autograde, feedback and grades with nbgrader.

Run ``python -m grading --help``; ``grading/README.md`` walks through a course.
"""
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent  # the kit's checkout: helpers/, notebooks/, grading/
