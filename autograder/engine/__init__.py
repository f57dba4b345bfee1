"""Runs submission code in separate worker processes (design principle 3).

The trusted side (`client.Submission`) sends probe requests; the worker (`worker.py`)
imports the submission's files, runs the probe and answers with plain data only
(`protocol.py`: JSON plus `.npy` files read with `allow_pickle=False`).
"""

# Where a notebook converted for grading (grading/notebook_module.py), whose cells each run
# on their own, lists the cells that raised as (cell number, exception); worker.py reports them.
CELL_ERRORS = "__notebook_cell_errors__"
