"""patchify only checks H against patch_size: a W that does not divide fails inside view with a RuntimeError."""


def patchify(images, patch_size):
    batch, channels, height, width = images.shape
    if height % patch_size:
        raise ValueError(f"patchify: height {height} must be divisible by patch_size={patch_size}")
    rows, cols, p = height // patch_size, width // patch_size, patch_size
    patches = images.view(batch, channels, rows, p, cols, p).permute(0, 2, 4, 1, 3, 5)
    return patches.reshape(batch, rows * cols, channels * p * p)
