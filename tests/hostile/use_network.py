"""Attack: open a network connection (to fetch a solution, or send the hidden tests out).

Defeated by: the audit hook refuses socket use in kata code and records it.
Reason: tried to use the network
"""

import socket as _socket

try:
    _socket.create_connection(("example.com", 80), timeout=1)
except OSError:
    pass
