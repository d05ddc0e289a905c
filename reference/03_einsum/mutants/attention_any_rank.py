"""attention_scores uses '...' for the batch dims and checks only D: 3-D inputs (no head dim) are
accepted instead of rejected."""


def attention_scores(q, k):
    _check(q.shape[-1] == k.shape[-1] and q.shape[:-2] == k.shape[:-2],
           "attention_scores", "(B, H, T, D) and (B, H, S, D)", q, k)
    return torch.einsum("...td,...sd->...ts", q, k) * q.shape[-1] ** -0.5
