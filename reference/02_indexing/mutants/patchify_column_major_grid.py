"""patchify lists the patches column by column (W/p before H/p) instead of row by row."""


def patchify(images, patch_size):
    batch, channels, height, width = images.shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"patchify: height {height} and width {width} must be divisible by patch_size={patch_size}"
        )
    rows, cols, p = height // patch_size, width // patch_size, patch_size
    patches = images.view(batch, channels, rows, p, cols, p).permute(0, 4, 2, 1, 3, 5)
    return patches.reshape(batch, rows * cols, channels * p * p)
