"""The pure contact-center core: no I/O, no wall clock, no asyncio.

Everything here takes the time as ``now`` (seconds since the epoch, a float) and randomness as an
injected generator. The runtime (``madoguchi.runtime``) and the simulator (``madoguchi.sim``) both
drive these objects through the same commands and read the same events.
"""
