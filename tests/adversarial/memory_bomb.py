# attacks: pairwise_sq_distances
def pairwise_sq_distances(a, b):
    """Allocate and touch memory until refused (bounded: at most 5 GiB)."""
    hoard = []
    for _ in range(20):
        chunk = bytearray(256 << 20)
        chunk[::4096] = b"x" * len(chunk[::4096])
        hoard.append(chunk)
    return a
