"""Signum calls the closure inside its @torch.no_grad() step, so the closure cannot backpropagate."""


class Signum(Signum):
    @torch.no_grad()
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add(p, alpha=weight_decay)
                if momentum > 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    g = state["momentum_buffer"].mul_(momentum).add_(g, alpha=1 - momentum)
                p.add_(g.sign(), alpha=-lr)
        return loss
