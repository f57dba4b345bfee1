# attacks: *
def one_hot(labels, depth)
    return labels
