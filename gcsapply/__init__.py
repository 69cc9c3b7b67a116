"""gcsapply: a declarative reconciler for Huawei Cloud Gene Container Service (GCS)."""

__version__ = "0.1.0"
