"""``from gcs import GCSClient``: the import of Huawei's GCS Python SDK, served by gcsapply."""

from gcsapply.sdk import GCSClient

__all__ = ["GCSClient"]
