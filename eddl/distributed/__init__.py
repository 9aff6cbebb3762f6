"""Distributed training over MPI: the same script on one process or many.

The names follow EDDL's MPI branch (``init_distributed``, ``get_id_distributed``, ...) with
pythonic twins (``get_rank``, ``get_world_size``). mpi4py is imported only when a distributed
run starts (``pip install 'deephealth[mpi]'``). See ``docs/distributed.md``.
"""

from .comm import (
    abort_distributed,
    avg_float_distributed,
    barrier_distributed,
    end_distributed,
    get_id_distributed,
    get_n_procs_distributed,
    get_rank,
    get_world_size,
    init_distributed,
    is_mpi_distributed,
)
from .compserv import CS_MPI, DistributedCompServ
from .sharding import shard_indices
from .sync import (
    avg_metrics_distributed,
    avg_weights_distributed,
    bcast_weights_distributed,
    distributeParams,
    end_epoch_distributed,
)

__all__ = ["init_distributed", "end_distributed", "is_mpi_distributed", "get_rank",
           "get_world_size", "get_id_distributed", "get_n_procs_distributed",
           "barrier_distributed", "avg_float_distributed", "avg_weights_distributed",
           "bcast_weights_distributed", "avg_metrics_distributed", "CS_MPI",
           "DistributedCompServ", "shard_indices", "end_epoch_distributed", "abort_distributed",
           "distributeParams"]
