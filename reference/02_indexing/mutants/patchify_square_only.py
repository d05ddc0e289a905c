"""patchify assumes square images: it takes the grid width from H, so H != W fails."""


def patchify(images, patch_size):
    batch, channels, height, width = images.shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"patchify: height {height} and width {width} must be divisible by patch_size={patch_size}"
        )
    rows, p = height // patch_size, patch_size
    patches = images.view(batch, channels, rows, p, rows, p).permute(0, 2, 4, 1, 3, 5)
    return patches.reshape(batch, rows * rows, channels * p * p)
