"""split_heads returns a contiguous copy (reshape, permute, contiguous) instead of a view of x."""


def split_heads(x, num_heads):
    batch, time, features = x.shape
    if features % num_heads:
        raise ValueError(f"split_heads: last dim {features} is not divisible by num_heads={num_heads}")
    return x.reshape(batch, time, num_heads, features // num_heads).permute(0, 2, 1, 3).contiguous()
