"""fans does not check ndim: a 1-D tensor raises IndexError instead of ValueError."""


def fans(tensor):
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field
