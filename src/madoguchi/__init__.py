"""madoguchi (窓口): an open-source contact-center system.

The package is layered (see docs/architecture.md):

- ``madoguchi.core``: the pure contact-center logic (no I/O, injected clock).
- ``madoguchi.runtime``: drives the core in a server, executes its actions.
- ``madoguchi.telephony``, ``madoguchi.channels``, ``madoguchi.store``, ``madoguchi.bus``,
  ``madoguchi.api``, ``madoguchi.web``: adapters.
- ``madoguchi.sim``: drives the same core on a virtual clock.
"""

__version__ = "0.1.0"
