"""What GCS holds now: ``fetch`` (the only read-I/O hop of ``plan``), ``model`` (records and the
run-status vocabulary), ``lookup`` (exact-name lookups, label matching), ``status``.
"""
