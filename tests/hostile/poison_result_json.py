"""Attack: rewrite json.dumps, which the job uses to write its result, so that the result is a
structure scoring does not expect (pytest's outcomes that are numbers, not phases). Before scoring
read results strictly, this crashed `python -m classroom grade`: no grade for anybody.

Defeated by: the grader reads a job's result strictly (types, counts, test names against the plan)
and scores each kata on its own: this kata scores zero, with the reason, and the run goes on.
Reason: tampered: its result is not what a run of its tests reports
"""

import json as _json

_dumps = _json.dumps


def _poisoned(value, *args, **kwargs):
    if isinstance(value, dict) and "outcomes" in value:
        value = {**value, "outcomes": {nodeid: 5 for nodeid in value["outcomes"]}}
    return _dumps(value, *args, **kwargs)


_json.dumps = _poisoned
