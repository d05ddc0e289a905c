"""attention_scores hard-codes the scale 0.5 seen in the docstring example (D = 4) instead of
computing D ** -0.5."""


def attention_scores(q, k):
    _check(q.ndim == 4 and k.ndim == 4 and q.shape[:2] == k.shape[:2] and q.shape[3] == k.shape[3],
           "attention_scores", "(B, H, T, D) and (B, H, S, D)", q, k)
    return torch.einsum("bhtd,bhsd->bhts", q, k) * 0.5
