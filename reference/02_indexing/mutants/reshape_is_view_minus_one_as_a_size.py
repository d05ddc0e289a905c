"""reshape_is_view forgets that -1 stands for a size to infer: it multiplies it in as it is, so a
valid shape such as (2, -1) is refused as not holding x's elements."""


def reshape_is_view(x, shape):
    numel = x.numel()
    if math.prod(shape) != numel:
        raise ValueError(f"reshape_is_view: shape {tuple(shape)} cannot hold the {numel} elements of x")
    if numel == 0:
        return True
    dims = [(size, stride) for size, stride in zip(x.shape, x.stride()) if size != 1]
    jumps = {math.prod(size for size, _ in dims[d + 1:]) for d in range(len(dims) - 1)
             if dims[d][1] != dims[d + 1][0] * dims[d + 1][1]}
    return jumps <= {math.prod(shape[d:]) for d in range(len(shape))}
