"""What a new tenant sees: three environments per project and the public tool catalogue."""

from __future__ import annotations

from gcsapply.emulator.credentials import stable_hex

SWR = "swr.cn-north-4.myhuaweicloud.com/gcs-public"
# name, version, category, cpu, memory, description
PUBLIC_TOOLS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("bwa", "0.7.12", "basic", "4C", "8G", "Burrows-Wheeler aligner for short reads"),
    ("bwa", "0.7.17", "basic", "4C", "8G", "Burrows-Wheeler aligner for short reads"),
    ("samtools", "1.9", "basic", "2C", "4G", "Reading, writing and indexing SAM/BAM/CRAM"),
    ("gatk", "4.0.9.0", "gatk", "4C", "16G", "Genome Analysis Toolkit"),
    ("gatk", "4.1.0.0", "gatk", "4C", "16G", "Genome Analysis Toolkit"),
    ("bcftools", "1.9", "callvariant", "2C", "4G", "Variant calling and VCF/BCF manipulation"),
    ("fastqc", "0.11.9", "qualitycontrol", "2C", "4G", "Quality control of sequencing reads"),
    ("picard", "2.18.2", "basic", "2C", "8G", "Java tools for SAM/BAM/CRAM and VCF"),
    ("zsplit", "0.2", "basic", "2C", "2G", "Splits gzipped FASTQ files into parts"),
    ("sambamba", "0.6.8", "basic", "4C", "8G", "Fast processing of BAM files"),
    ("seqkit", "2.3.0", "others", "2C", "4G", "FASTA/FASTQ toolkit"),
)
# name, source, default_env, extra fields
TENANT_ENVIRONMENTS: tuple[tuple[str, str, bool, dict], ...] = (
    ("default-cci", "cci", True, {"cluster_name": "gene-namespace", "cpu": 64, "memory": 256}),
    ("default-cce", "cce", False, {"cluster_name": "gene-cluster", "cpu": 32, "memory": 128,
                                   "bucket_name": "gene-data"}),
    ("cromwell-env", "cromwell", False, {"cluster_name": "gene-cromwell", "cpu": 16,
                                         "memory": 64}),
)


def stable_guid(text: str) -> str:
    """A deterministic id in the reference's ``8-4-4-4-12`` hex form."""
    h = stable_hex(text)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def public_tool_records(now: float) -> list[dict]:
    records = []
    for name, version, category, cpu, memory, description in PUBLIC_TOOLS:
        doc = {"description": description, "vendor": "GCS", "image": f"{SWR}/{name}:{version}",
               "instruction": "", "cpu": cpu, "memory": memory, "command": name, "logo": "",
               "type": "container", "domain": "public", "domain_id": ""}
        records.append({"id": stable_guid(f"tool:{name}:{version}"), "project_id": "",
                        "name": name, "version": version, "scope": "public", "category": category,
                        "created_at": now, "updated_at": now, "doc": doc})
    return records


def tenant_environment_records(project_id: str, domain_id: str, now: float) -> list[dict]:
    records = []
    for name, source, default_env, extra in TENANT_ENVIRONMENTS:
        doc = {"description": f"{source.upper()} environment created for a new tenant",
               "cluster_id": stable_guid(f"cluster:{project_id}:{name}"), "stack_id": "",
               "is_gene_cluster": source == "cce", "bucket_name": "", "order_id": "",
               "domain_id": domain_id, "cluster_info": "" if source == "cci" else "{}",
               "ready_at": now, **extra}
        records.append({"id": stable_guid(f"env:{project_id}:{name}"), "project_id": project_id,
                        "name": name, "source": source, "default_env": int(default_env),
                        "created_at": now, "updated_at": now, "doc": doc})
    return records
