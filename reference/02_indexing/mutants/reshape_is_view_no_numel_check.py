"""reshape_is_view never checks that the shape holds x's elements: (5, 5) for 24 elements gets an
answer instead of a ValueError."""


def reshape_is_view(x, shape):
    numel, sizes = x.numel(), list(shape)
    if -1 in sizes:
        sizes[sizes.index(-1)] = numel // max(1, math.prod(size for size in sizes if size != -1))
    if numel == 0:
        return True
    dims = [(size, stride) for size, stride in zip(x.shape, x.stride()) if size != 1]
    jumps = {math.prod(size for size, _ in dims[d + 1:]) for d in range(len(dims) - 1)
             if dims[d][1] != dims[d + 1][0] * dims[d + 1][1]}
    return jumps <= {math.prod(sizes[d:]) for d in range(len(sizes))}
