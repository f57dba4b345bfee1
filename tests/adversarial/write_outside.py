# attacks: describe
import os


def describe(t):
    """Try to write outside the scratch copy, then answer wrongly."""
    for place in ("__COURSE__", "__COURSE__/solutions", "__SUBMISSIONS__", "__SUBMISSIONS__/ref_a", "__OUT__",
                  "/tmp", os.path.expanduser("~")):
        try:
            with open(os.path.join(place, "adversarial-marker-__TOKEN__"), "w") as file:
                file.write("written from a sandboxed submission\n")
        except OSError:
            pass
    return None
