"""patchify orders each patch's features (row, col, channel), ViT-style, instead of F.unfold's (channel, row, col)."""


def patchify(images, patch_size):
    batch, channels, height, width = images.shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"patchify: height {height} and width {width} must be divisible by patch_size={patch_size}"
        )
    rows, cols, p = height // patch_size, width // patch_size, patch_size
    patches = images.view(batch, channels, rows, p, cols, p).permute(0, 2, 4, 3, 5, 1)
    return patches.reshape(batch, rows * cols, channels * p * p)
