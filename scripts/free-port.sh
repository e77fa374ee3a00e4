# Sourced by the throw-away server scripts. A port is free to listen on when nothing listens there
# and no socket is bound to it either: a client's connection can hold a port of 32768-60999 (Linux's
# ephemeral range, which 54329-54399 lies in) as its own end, and a server's bind to it then fails
# with "Address already in use" although a connection attempt finds nobody listening.
port_is_free() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
  if command -v ss >/dev/null 2>&1 && [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]; then return 1; fi
  return 0
}
