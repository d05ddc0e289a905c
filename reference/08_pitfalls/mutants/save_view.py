"""save_sample saves the view batch[index], so torch.save writes the whole batch's storage."""


def save_sample(batch, index, path):
    torch.save(batch[index], path)
