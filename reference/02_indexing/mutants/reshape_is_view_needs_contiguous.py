"""reshape_is_view takes the lecture's word that a view needs contiguous memory: it says True only
for a contiguous x, so a transposed x "copies" even where a split of its dims is a view."""


def reshape_is_view(x, shape):
    numel, sizes = x.numel(), list(shape)
    known = math.prod(size for size in sizes if size != -1)
    if sizes.count(-1) == 1 and known and numel % known == 0:
        sizes[sizes.index(-1)] = numel // known
    if min(sizes, default=0) < 0 or math.prod(sizes) != numel:
        raise ValueError(f"reshape_is_view: shape {tuple(shape)} cannot hold the {numel} elements of x")
    expected = 1
    for size, stride in reversed(list(zip(x.shape, x.stride()))):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True
