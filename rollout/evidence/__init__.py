"""Parity evidence: how two answers are compared (``compare``: the one comparator the
online shadow and the offline parity runs share) and where mismatches are kept
(``ledger``: redacted, in PostgreSQL).
"""
