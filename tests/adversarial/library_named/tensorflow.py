# A file named like a library: if the worker imported it instead of NumPy, everything would break.
raise SystemExit("the submission's tensorflow.py was imported")
