"""Attack: write a made-up "everything passed" result into every file descriptor the process has (the
grader's result channel among them), then exit with the grader's own "finished" status.

Defeated by: the result frame must carry a secret the job's watcher gave the job, which kata code
cannot read; anything else on the channel is tampering.
Reason: result channel|before its tests reported
"""

import json as _json
import os as _os

_body = _json.dumps({"exit": 0, "report": None, "violations": [], "outcomes": {}}).encode()
for _fd in range(3, 64):
    for _frame in (b"result %d 0\n" % len(_body) + _body, _body):
        try:
            _os.write(_fd, _frame)
        except OSError:
            pass
_os._exit(83)
