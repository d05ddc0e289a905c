"""split_heads skips the divisibility check, so a bad num_heads raises view's RuntimeError."""


def split_heads(x, num_heads):
    batch, time, features = x.shape
    return x.view(batch, time, num_heads, features // num_heads).transpose(1, 2)
