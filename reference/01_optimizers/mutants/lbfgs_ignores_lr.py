"""minimize_lbfgs builds LBFGS([x]) without lr=lr: always the default lr 1."""


def minimize_lbfgs(f, x0, steps=20, lr=1.0):
    x = x0.detach().clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([x])

    def closure():
        optimizer.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    for _ in range(steps):
        optimizer.step(closure)
    return x.detach()
