"""Classroom tooling for torch-katas: hand the course out, grade it, see where the class is.

``python -m classroom export OUT``           the student edition (no reference, no hidden tests, no gate)
``python -m classroom bundle OUT``           a Classroom 50 autograder folder
``python -m classroom grade SUB...``         grade student checkouts with the pristine tests
``python -m classroom report GRADES --html`` the class report, from graded submissions
``python -m classroom check KATA``           one kata, all or nothing (the GitHub Classroom workflow step)

Every path grades through ``classroom.core``: each kata in a job of its own (sandboxed where
bubblewrap runs) with time, memory, disk and output limits, and points only from positive evidence
(the planned tests ran and passed).
"""
