"""attention_scores scales by 1 / D instead of 1 / sqrt(D)."""


def attention_scores(q, k):
    return torch.einsum("bhtd,bhsd->bhts", q, k) / q.shape[-1]
