"""Allocating N copies of a lab on a lab server (issue 11): per copy its names (names.py), its
management subnet (subnets.py, the same free-subnet search doctor's fixes use) and what it
costs (resources.py); allocation.py puts them together. Pure: the host's facts are passed in.
"""
from .allocation import Allocation, AllocationError, Copy, Host, allocate
from .names import MAX_COPIES, Names, copy_names
from .resources import DISK_PER_VM, Resources, of_nodes
from .subnets import RESERVED, free_subnets

__all__ = ["Allocation", "AllocationError", "Copy", "DISK_PER_VM", "Host",
           "MAX_COPIES", "Names", "RESERVED", "Resources", "allocate", "copy_names",
           "free_subnets", "of_nodes"]
