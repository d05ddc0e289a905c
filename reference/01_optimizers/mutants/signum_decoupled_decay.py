"""Signum decays AdamW-style (p -= lr * wd * p, outside the sign) instead of adding wd * p to the gradient."""


class Signum(Signum):
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                p.mul_(1 - lr * weight_decay)
                if momentum > 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    g = state["momentum_buffer"].mul_(momentum).add_(g, alpha=1 - momentum)
                p.add_(g.sign(), alpha=-lr)
        return loss
