"""Signum keeps its momentum buffers in a dict on self, not in self.state: state_dict() never saves them."""


class Signum(Signum):
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        buffers = self.__dict__.setdefault("buffers", {})
        for group in self.param_groups:
            lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add(p, alpha=weight_decay)
                if momentum > 0:
                    m = buffers.setdefault(p, torch.zeros_like(p))
                    g = m.mul_(momentum).add_(g, alpha=1 - momentum)
                p.add_(g.sign(), alpha=-lr)
        return loss
