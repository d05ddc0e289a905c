"""minimize_lbfgs folds `steps` into one LBFGS step (max_iter=steps) instead of calling step() `steps` times."""


def minimize_lbfgs(f, x0, steps=20, lr=1.0):
    x = x0.detach().clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([x], lr=lr, max_iter=steps)

    def closure():
        optimizer.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    optimizer.step(closure)
    return x.detach()
