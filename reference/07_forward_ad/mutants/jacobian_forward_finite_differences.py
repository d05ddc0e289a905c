"""jacobian_forward by central finite differences in float64, one basis direction at a time."""


def jacobian_forward(f, x):
    h = 1e-6
    value = f(x)
    x64 = x.double()
    columns = []
    for j in range(x.numel()):
        e = torch.zeros(x.numel(), dtype=torch.float64, device=x.device)
        e[j] = h
        e = e.reshape(x.shape)
        columns.append((f(x64 + e).double() - f(x64 - e).double()) / (2 * h))
    return torch.stack(columns, dim=-1).reshape(value.shape + x.shape).to(value.dtype)
