"""Honest habit: debug prints in every call (megabytes in all) while two functions are still wrong.
`pytest katas/03_einsum` shows all of kata 03's points but outer's and trace's, so grading must too.

Handled by: output goes to the job's watcher, which keeps its head and tail; the functions that pass
keep their points, only outer and trace lose theirs.
Score: full - 2
Output: bytes of output left out
"""

_reference = {name: globals()[name] for name in ("transpose", "total_sum", "dot", "matmul",
                                                  "batched_matmul", "hadamard", "outer", "row_sums", "trace",
                                                  "diagonal", "linear", "bilinear", "attention_scores",
                                                  "pairwise_sq_dists")}


def _loud(name, wrong=False):
    def function(*args):
        print(f"debug {name}:", "." * (1 << 16))
        result = _reference[name](*args)
        return result + 1 if wrong else result

    return function


for _name in _reference:
    globals()[_name] = _loud(_name, wrong=_name in ("outer", "trace"))
