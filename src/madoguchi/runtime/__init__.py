"""The runtime: runs the pure core in real time and carries out its actions through adapters."""

from madoguchi.runtime.center import CenterRuntime, RuntimeSnapshot
from madoguchi.runtime.clock import Clock, ManualClock, SystemClock

__all__ = ["CenterRuntime", "Clock", "ManualClock", "RuntimeSnapshot", "SystemClock"]
