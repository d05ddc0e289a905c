"""reshape_is_view treats a tensor without elements like any other and reads its strides, which
mean nothing there: PyTorch views every empty tensor, and this says some of them copy."""


def reshape_is_view(x, shape):
    numel, sizes = x.numel(), list(shape)
    known = math.prod(size for size in sizes if size != -1)
    if sizes.count(-1) == 1 and known and numel % known == 0:
        sizes[sizes.index(-1)] = numel // known
    if min(sizes, default=0) < 0 or math.prod(sizes) != numel:
        raise ValueError(f"reshape_is_view: shape {tuple(shape)} cannot hold the {numel} elements of x")
    dims = [(size, stride) for size, stride in zip(x.shape, x.stride()) if size != 1]
    jumps = {math.prod(size for size, _ in dims[d + 1:]) for d in range(len(dims) - 1)
             if dims[d][1] != dims[d + 1][0] * dims[d + 1][1]}
    return jumps <= {math.prod(sizes[d:]) for d in range(len(sizes))}
