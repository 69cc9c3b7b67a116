"""``from cromwell import CromwellClient``: the import of Huawei's GCS Python SDK, served by gcsapply."""

from gcsapply.sdk import CromwellClient

__all__ = ["CromwellClient"]
