"""jacobian_forward hands the whole job to torch.func.jacfwd (a forbidden call)."""


def jacobian_forward(f, x):
    return torch.func.jacfwd(f)(x)
