"""`python -m bench data-scale`: how the REST API and Django admin cost grows with the data.

Populates a database of its own at sizes S, M and L (each ten times the last), then times the
paths people use at each size against one real server process (DEBUG off) and counts their
queries, and prints one table: median of N calls per path and size, and the L/S ratio. A path
whose cost grows with the data, not with the page, shows up as a large ratio.
"""
