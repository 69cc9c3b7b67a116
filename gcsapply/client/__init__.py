"""The signed GCS client: ``signing`` (sign only), ``auth`` (AkSkAuth, TokenAuth), ``session``
(pooling, timeouts, retries, rate limits via ``limiter``), ``api`` (one method per operation).
It knows no plan, engine or emulator.
"""
