"""hipflask's HTTP toolkit: protocol-neutral, no application knowledge, no I/O."""
