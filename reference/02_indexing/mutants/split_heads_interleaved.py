"""split_heads views the features as (D, H) instead of (H, D): head h gets every H-th feature, not a block."""


def split_heads(x, num_heads):
    batch, time, features = x.shape
    if features % num_heads:
        raise ValueError(f"split_heads: last dim {features} is not divisible by num_heads={num_heads}")
    return x.view(batch, time, features // num_heads, num_heads).permute(0, 3, 1, 2)
