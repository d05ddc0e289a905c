"""merge_heads uses transpose + reshape: reshape returns a strided, non-contiguous view when it can."""


def merge_heads(x):
    batch, heads, time, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, time, heads * head_dim)
