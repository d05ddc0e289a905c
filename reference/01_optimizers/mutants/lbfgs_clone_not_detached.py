"""minimize_lbfgs optimizes x0.clone().requires_grad_(): fine for a plain x0, but a non-leaf when x0 requires grad."""


def minimize_lbfgs(f, x0, steps=20, lr=1.0):
    x = x0.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([x], lr=lr)

    def closure():
        optimizer.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    for _ in range(steps):
        optimizer.step(closure)
    return x.detach()
