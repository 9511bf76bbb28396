"""One module per tutorial: `check(nb)` asserts that notebook's finding from its executed outputs
(test/python/test_notebooks.py runs the notebook, then calls it). One file each, so the notebooks
can change independently."""
