"""split_heads views (B, T, H*D) straight as (B, H, T, D): right shape, but time steps mixed into heads."""


def split_heads(x, num_heads):
    batch, time, features = x.shape
    if features % num_heads:
        raise ValueError(f"split_heads: last dim {features} is not divisible by num_heads={num_heads}")
    return x.view(batch, num_heads, time, features // num_heads)
