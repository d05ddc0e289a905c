"""Classroom tooling for torch-katas: hand the course out and grade it.

``python -m classroom export OUT``   the student edition (no reference, no hidden tests, no gate)
``python -m classroom bundle OUT``   a Classroom 50 autograder folder
``python -m classroom grade SUB...`` grade student checkouts with the pristine tests
``python -m classroom check KATA``   one kata, all or nothing (the GitHub Classroom workflow step)

Every path grades through ``classroom.core``: each kata in its own forked process with time,
memory and output limits, and points only from positive evidence (the expected tests ran and passed).
"""
