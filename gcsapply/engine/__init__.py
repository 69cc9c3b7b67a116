"""Apply (DESIGN §5): ``apply`` (the session), ``waves``, ``calls``, ``updates``, ``launch``,
``recorder`` and ``record_changes`` (journal and state), ``signals``, ``wait``, ``report``.
"""
