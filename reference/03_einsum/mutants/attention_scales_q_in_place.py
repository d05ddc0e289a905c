"""attention_scores scales q in place, which modifies the caller's tensor."""


def attention_scores(q, k):
    q *= q.shape[-1] ** -0.5
    return torch.einsum("bhtd,bhsd->bhts", q, k)
