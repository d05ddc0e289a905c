"""attention_scores forgets the D ** -0.5 scale."""


def attention_scores(q, k):
    return torch.einsum("bhtd,bhsd->bhts", q, k)
