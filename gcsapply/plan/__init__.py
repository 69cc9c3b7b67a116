"""The plan: what ``apply`` would change, as data (DESIGN §4). Pure: no I/O, no client.

``build`` (``build_plan``), ``model`` (Action, Reason, Change, Plan), ``context``, ``workflows`` and
``executions`` (the decision tables), ``ownership`` (which labelled runs are the stack's:
``foreign-run``, ``duplicate-run``), ``views``, ``diff`` (field rules applied), ``saved``.
"""
