# attacks: describe
def describe(t):
    """A message no encoder takes (a lone surrogate) with terminal escapes and a NUL."""
    raise RuntimeError("\ud800 broken \x1b[2J\x00 text " + "x" * 100000)
