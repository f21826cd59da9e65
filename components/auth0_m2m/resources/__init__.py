"""The Pulumi resources: the components, their names, deletion safety and the program glue."""

from .application import M2MApplication, M2MApplicationArgs
from .estate import Estate
from .interpreter import tune_garbage_collection
from .program import export_estate, load_program_config, read_pulumi_config
from .protection import protect_clients_and_grants

__all__ = [
    "Estate",
    "M2MApplication",
    "M2MApplicationArgs",
    "export_estate",
    "load_program_config",
    "protect_clients_and_grants",
    "read_pulumi_config",
    "tune_garbage_collection",
]
