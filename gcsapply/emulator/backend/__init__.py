"""The emulated service's business: every rule the reference documents and every query, one
module per resource family, all going through ``store``. Functions take the emulator's state
(``state.Emulator``) first and plain values after -- never a request -- and return rows or small
values for ``views`` to render.

``state`` (settings, clock, caches, tenants) - ``iam`` (tokens) - ``workflows`` -
``executions`` - ``tools`` - ``environments`` - ``cromwell`` - ``monitoring`` - ``control``.
"""
