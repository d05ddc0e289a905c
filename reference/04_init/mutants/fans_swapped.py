"""fans returns (fan_out, fan_in): reads the weight as (in, out)."""


def fans(tensor):
    _check_at_least_2d("fans", tensor)
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[0] * receptive_field, tensor.shape[1] * receptive_field
