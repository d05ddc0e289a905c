"""reshape_is_view chains the strides of every dim, size-1 dims included: a dim of size 1 with a
stride no layout would choose breaks the chain, though it is never stepped along."""


def reshape_is_view(x, shape):
    numel, sizes = x.numel(), list(shape)
    known = math.prod(size for size in sizes if size != -1)
    if sizes.count(-1) == 1 and known and numel % known == 0:
        sizes[sizes.index(-1)] = numel // known
    if min(sizes, default=0) < 0 or math.prod(sizes) != numel:
        raise ValueError(f"reshape_is_view: shape {tuple(shape)} cannot hold the {numel} elements of x")
    if numel == 0:
        return True
    dims = list(zip(x.shape, x.stride()))
    jumps = {math.prod(size for size, _ in dims[d + 1:]) for d in range(len(dims) - 1)
             if dims[d][1] != dims[d + 1][0] * dims[d + 1][1]}
    return jumps <= {math.prod(sizes[d:]) for d in range(len(sizes))}
