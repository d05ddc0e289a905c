"""fans multiplies the sizes with torch.prod, so it returns 0-dim tensors instead of ints."""


def fans(tensor):
    _check_at_least_2d("fans", tensor)
    receptive_field = torch.tensor(tensor.shape[2:]).prod()
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field
