"""Change batches: every change made by hand (a record added, corrected or deleted, a bulk edit,
a party renamed, merged or reclassified) is one batch, like an import, with the before and after
of every row it touched in the ``changes`` table; ``undo_changes`` plays them back exactly.
"""
