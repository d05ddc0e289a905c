"""merge_heads reshapes (B, H, T, D) straight to (B, T, H*D) without moving T before H."""


def merge_heads(x):
    batch, heads, time, head_dim = x.shape
    return x.reshape(batch, time, heads * head_dim)
