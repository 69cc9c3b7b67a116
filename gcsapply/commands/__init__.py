"""One module per ``gcsapply`` command (``add_arguments``, ``run``); ``options`` defines every
shared flag once. Only ``gcsapply.cli`` imports these.
"""
