"""minimize_lbfgs optimizes x0 itself (x0.requires_grad_() and LBFGS([x0])), moving the caller's tensor."""


def minimize_lbfgs(f, x0, steps=20, lr=1.0):
    x0.requires_grad_(True)
    optimizer = torch.optim.LBFGS([x0], lr=lr)

    def closure():
        optimizer.zero_grad()
        loss = f(x0)
        loss.backward()
        return loss

    for _ in range(steps):
        optimizer.step(closure)
    return x0.detach().clone()
