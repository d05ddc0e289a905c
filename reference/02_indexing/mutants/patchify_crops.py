"""patchify silently crops the rows and columns that do not fill a patch instead of raising."""


def patchify(images, patch_size):
    batch, channels, height, width = images.shape
    rows, cols, p = height // patch_size, width // patch_size, patch_size
    images = images[:, :, : rows * p, : cols * p]
    patches = images.reshape(batch, channels, rows, p, cols, p).permute(0, 2, 4, 1, 3, 5)
    return patches.reshape(batch, rows * cols, channels * p * p)
