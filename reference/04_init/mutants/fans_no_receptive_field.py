"""fans ignores the kernel's size: (size(1), size(0)) is right for Linear only."""


def fans(tensor):
    _check_at_least_2d("fans", tensor)
    return tensor.shape[1], tensor.shape[0]
