"""minimize_lbfgs's closure never clears x.grad, so each evaluation adds to the gradients of all earlier ones."""


def minimize_lbfgs(f, x0, steps=20, lr=1.0):
    x = x0.detach().clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([x], lr=lr)

    def closure():
        loss = f(x)
        loss.backward()
        return loss

    for _ in range(steps):
        optimizer.step(closure)
    return x.detach()
