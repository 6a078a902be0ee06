"""The export as it was before its queries were restructured for millions of rows (one row per
patient and period into Python, every total tallied here), kept unchanged as the reference the
restructured export must agree with, figure for figure (tests/services/test_export_equivalence.py).
"""
