"""From a directory of YAML manifests to the validated desired stack (DESIGN §2):
``build.load_stack`` and its parts; ``model`` holds the dataclasses everything downstream reads;
``paths`` keeps every path a manifest names inside the stack directory (DESIGN §7b).
"""
