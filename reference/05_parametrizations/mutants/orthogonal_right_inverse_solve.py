"""Orthogonal's right_inverse solves with I + Q exactly: right for every Q the Cayley map can give,
but it raises on a weight with the eigenvalue -1 (a reflection, -I), where I + Q is singular, and
registering the parametrization on such a layer fails."""


def _right_inverse(self, Q):
    eye = torch.eye(Q.shape[-1], dtype=Q.dtype, device=Q.device)
    return torch.linalg.solve(eye + Q, eye - Q).triu(1)


Orthogonal.right_inverse = _right_inverse
