"""Allocating N copies of a lab on a lab server (issue 11): per copy its names (names.py), its
management subnet (subnets.py, the same free-subnet search doctor's fixes use) and what it
costs (resources.py); allocation.py puts them together. Over several lab servers (issue 24):
what a server has free, parsed from its own texts (capacity.py), and which server each copy
runs on (placement.py). Pure: the host's facts are passed in.
"""
from .allocation import Allocation, AllocationError, Copy, Host, allocate
from .capacity import Capacity, Ksm
from .names import MAX_COPIES, Names, class_networks, copy_names
from .placement import Placement, PlacementError, ServerRoom, place, place_lab
from .resources import DISK_PER_VM, Resources, copy_cost, of_nodes
from .subnets import RESERVED, free_subnets

__all__ = ["Allocation", "AllocationError", "Capacity", "Copy", "DISK_PER_VM", "Host", "Ksm",
           "MAX_COPIES", "Names", "Placement", "PlacementError", "RESERVED", "Resources",
           "ServerRoom", "allocate", "class_networks", "copy_cost", "copy_names", "free_subnets", "of_nodes",
           "place", "place_lab"]
