"""What kata test modules import: the module under test and the shared assertion helpers."""

from .checks import (
    assert_grad, assert_tensor, cases, fail, gradients, mentions, raises_value_error, shape_words, where,
)
from .loader import implementation

__all__ = [
    "assert_grad", "assert_tensor", "cases", "fail", "gradients", "implementation", "mentions", "raises_value_error",
    "shape_words", "where",
]
