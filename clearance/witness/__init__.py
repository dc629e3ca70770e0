"""A C2SP tlog-witness (c2sp.org/tlog-witness) that an auditor runs beside, not inside, Clearance.

It holds its own key and its own state (``state.db`` in its home) and never touches Clearance's
database: the log sends it each new checkpoint with a consistency proof from the last size it
cosigned, and it answers with a ``cosignature/v1`` line only when the new tree extends the old
one. A truncated, rewritten or forked log therefore cannot collect its cosignature again.

Layout: ``state`` (the latest cosigned checkpoint per log, checked and updated atomically),
``protocol`` (the add-checkpoint rules, pure), ``home`` (key and trusted logs on disk),
``server`` (the HTTP adapter, standard library only).
"""
