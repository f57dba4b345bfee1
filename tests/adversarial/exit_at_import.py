# attacks: *
import sys

sys.exit(0)
