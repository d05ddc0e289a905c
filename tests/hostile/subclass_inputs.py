"""Attack: give each function's first input a class of kata code's own whose __torch_function__
doubles every result computed from it, and return doubled values: a test that computes the expected
value after the call, from the same (now altered) inputs, expects them doubled too.

Defeated by: the guard checks that a kata function leaves its inputs' class and attributes as they
came, as well as their values.
Reason: changed the class or the attributes of its input
"""

import torch as _torch


class _Doubling(_torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        result = super().__torch_function__(func, types, args, kwargs or {})
        return result * 2 if isinstance(result, _torch.Tensor) and result.is_floating_point() else result


def _doubling(reference):
    def function(first, *rest):
        result = reference(first, *rest) * 2
        first.__class__ = _Doubling
        return result

    return function


for _name in ("transpose", "total_sum", "dot", "matmul", "batched_matmul", "hadamard", "outer", "row_sums", "trace",
              "diagonal", "linear", "bilinear", "attention_scores", "pairwise_sq_dists"):
    globals()[_name] = _doubling(globals()[_name])
